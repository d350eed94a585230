# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults survived: every retryable fault kind on every method the modules send, faults that outlast the retry
budget, and the lost answer to a create (the one fault that cannot be retried away)."""

from __future__ import annotations

import json
import os

import pytest

from harness import faulted_requests, report, writes
from harness.fault_catalogue import fault_targets, retryable_faults

KEY = "fault-key"
MODULE = "fiskaly.management.fiskaly_api_key"
# Short budgets: a retry may wait 1 s (Retry-After) and a read times out after 1 s.
FAST = {"retries": 3, "retry_deadline": 20, "timeout": 1}
# A fleet's writes one at a time, so that the keys after a failure are those never attempted (tests/e2e/concurrency has
# the same failures with several writes in flight).
FAST_ONE_AT_A_TIME = {**FAST, "max_concurrent_requests": 1}

SURVIVED = "fault kinds survived (one on each of GET, PUT, PATCH, POST /auth; retries 3)"
OUTLASTING = "faults outlasting the retry budget (on GET)"

FAULTS = retryable_faults(read_timeout_delay=2.5)

# Where the two tasks of a run send each method: create (POST /auth, GET, PUT), then disable (POST /auth, GET, PATCH).
TARGETS = fault_targets(KEY)


def create_then_disable(name: str = KEY) -> list[dict]:
    return [
        {"name": "create", MODULE: {"name": name, "kind": "test", "state": "enabled"}, "register": "created"},
        {"name": "disable", MODULE: {"name": name, "state": "disabled"}},
    ]


@pytest.mark.parametrize("kind", list(FAULTS))
def test_each_fault_kind_on_every_method_is_retried_and_the_key_converges(ansible, emulator, kind):
    for method, path in TARGETS.items():
        emulator.inject(method, path, [FAULTS[kind]])

    run = ansible.playbook(create_then_disable(), module_defaults=FAST, shows=(KEY,))

    assert run.rc == 0, run.output[-3000:]
    assert run.status("create") == "changed" and run.status("disable") == "changed"
    assert isinstance(run.task("create").get("secret"), str)
    assert emulator.keys()[KEY]["status"] == "disabled" and emulator.create_count(KEY) == 1
    assert emulator.pending_faults() == []
    faulted = faulted_requests(emulator, len(TARGETS))
    assert sorted(entry["method"] for entry in faulted) == sorted(TARGETS)
    for method, path in TARGETS.items():
        attempts = [entry for entry in emulator.requests(method, path) if entry["path"] == path]
        # The faulted attempt and a repeat that got through (a delayed attempt is logged when its delay ends, so after
        # it).
        assert [entry["fault"] for entry in attempts].count(FAULTS[kind]) == 1, attempts
        assert any(entry["fault"] is None and entry["status"] in (200, 404) for entry in attempts), attempts
    report(
        SURVIVED,
        kind,
        f"retried, task ok, key converged, created once; {len(emulator.requests())} requests for 2 tasks",
    )


@pytest.mark.parametrize("kind", list(FAULTS))
def test_fault_that_outlasts_the_retries_fails_the_task_naming_status_and_message(ansible, emulator, kind):
    emulator.inject("GET", f"/api_keys/{KEY}", [FAULTS[kind]] * 2)

    run = ansible.playbook(create_then_disable()[:1], module_defaults={**FAST, "retries": 1})

    result = run.task("create")
    assert run.rc != 0 and run.status("create") == "failed"
    message = result["msg"]
    assert message.startswith(f"Reading API key '{KEY}' failed: ")
    if "status" in FAULTS[kind]:
        status = FAULTS[kind]["status"]
        assert f"HTTP {status}" in message and result["failure"]["status"] == status
        if FAULTS[kind].get("html"):
            # Status and a short excerpt of the gateway's page, not the page's markup.
            assert "Bad Gateway" in message and "<" not in message and len(message) < 300
        else:
            assert "injected fault" in message  # the API's own message
    else:
        assert result["failure"]["status"] is None
        expected = "timeout" if "delay" in FAULTS[kind] else "connection closed by the server"
        assert result["failure"]["code"] == expected and expected in message
    faulted_requests(emulator, 2)  # a delayed attempt must not spill into the next test's log
    attempts = emulator.requests("GET", f"/api_keys/{KEY}")
    assert len(attempts) == 2 and writes(emulator) == [] and emulator.keys() == {}
    report(OUTLASTING, kind, f"task fails: {message}")


def test_retry_deadline_ends_the_retrying_before_the_retries_are_spent(ansible, emulator):
    emulator.inject("GET", f"/api_keys/{KEY}", [{"status": 429, "retry_after": 1}] * 6)

    run = ansible.playbook(create_then_disable()[:1], module_defaults={**FAST, "retries": 5, "retry_deadline": 1.5})

    result = run.task("create")
    assert run.status("create") == "failed" and result["failure"]["status"] == 429
    assert "HTTP 429" in result["msg"]
    attempts = emulator.requests("GET", f"/api_keys/{KEY}")
    # Six attempts would be the whole retry budget; the deadline stopped it earlier.
    assert len(attempts) < 6 and len(emulator.pending_faults()) == 6 - len(attempts)
    report(OUTLASTING, "429 beyond retry_deadline", f"task fails after {len(attempts)} of 6 attempts: {result['msg']}")


def test_lost_answer_to_the_create_fails_saying_the_secret_was_not_received(ansible, emulator):
    emulator.inject("PUT", f"/api_keys/{KEY}", [{"lose_response": True}])

    run = ansible.playbook(create_then_disable()[:1], module_defaults=FAST)

    result = run.task("create")
    assert run.status("create") == "failed"
    message = result["msg"]
    assert "was created, but its secret was not received" in message and "Disable this key" in message
    assert result["api_key"]["name"] == KEY and "secret" not in result and "secret" not in result["api_key"]
    assert result["changed"] is True
    assert emulator.create_count(KEY) == 1
    puts = emulator.requests("PUT")
    assert [entry["fault"] for entry in puts] == [{"lose_response": True}, None] and puts[1]["status"] == 409
    report(
        SURVIVED,
        "lost answer to PUT (single key)",
        "cannot be survived: task fails, key created once, api_key returned; " + message[:60],
    )


def test_lost_answer_then_an_expired_token_still_says_the_secret_was_not_received(ansible, emulator):
    # The repeat of the lost PUT meets a 401, the module logs in again, and its PUT then finds the key (409).
    emulator.inject("PUT", f"/api_keys/{KEY}", [{"lose_response": True}, {"status": 401}])

    run = ansible.playbook(create_then_disable()[:1], module_defaults=FAST)

    assert run.status("create") == "failed"
    assert "was created, but its secret was not received" in run.task("create")["msg"]
    assert run.task("create")["changed"] is True and emulator.create_count(KEY) == 1
    assert [(entry["method"], entry["status"]) for entry in emulator.requests() if entry["method"] in ("PUT", "POST")][
        -3:
    ] == [
        ("PUT", 401),
        ("POST", 200),
        ("PUT", 409),
    ]
    report(
        SURVIVED,
        "lost answer to PUT, then 401 on its repeat",
        "task fails saying the secret was not received; created once",
    )


def test_lost_answer_with_no_retry_left_still_says_the_secret_was_not_received(ansible, emulator):
    emulator.inject("PUT", f"/api_keys/{KEY}", [{"lose_response": True}])

    run = ansible.playbook(create_then_disable()[:1], module_defaults={**FAST, "retries": 0})

    message = run.task("create")["msg"]
    assert run.status("create") == "failed"
    assert "was created, but its secret was not received" in message and "connection closed by the server" in message
    assert run.task("create")["api_key"]["name"] == KEY and emulator.create_count(KEY) == 1
    report(SURVIVED, "lost answer to PUT, retries 0", "task fails saying the secret was not received (key read back)")


def test_a_lost_first_create_of_a_fleet_reports_a_change(ansible, emulator):
    emulator.inject("PUT", "/api_keys/fleet-a", [{"lose_response": True}])

    run = ansible.playbook(
        [
            {
                "name": "fleet",
                MODULE: {"kind": "live", "fleet_result": "all", "api_keys": [{"name": "fleet-a"}, {"name": "fleet-b"}]},
            }
        ],
        module_defaults=FAST_ONE_AT_A_TIME,
    )

    assert run.status("fleet") == "failed" and run.task("fleet")["changed"] is True
    result = run.task("fleet")
    assert "API key 'fleet-a' was created" in result["msg"]
    outcomes = [(item["name"], item["changed"], item["action"]) for item in result["fleet"]]
    assert outcomes == [("fleet-a", True, "create"), ("fleet-b", False, "create")]
    assert result["fleet"][0]["error"] == result["msg"] and result["fleet"][0]["api_key"]["name"] == "fleet-a"
    assert result["fleet"][1]["attempted"] is False and "api_key" not in result["fleet"][1]
    assert result["summary"] == {
        "created": 1,
        "updated": 0,
        "enabled": 0,
        "disabled": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 0,
        "not_attempted": 1,
    }  # once each (issue 18)
    assert result["fleet"][0]["secret_lost"] is True


@pytest.mark.parametrize("to_file", [False, True], ids=["fleet", "secrets_file"])
def test_lost_create_in_a_fleet_keeps_the_keys_done_so_far(ansible, emulator, tmp_path, to_file):
    names = ["fleet-a", "fleet-b", "fleet-c"]
    emulator.inject("PUT", "/api_keys/fleet-b", [{"lose_response": True}])
    secrets_file = tmp_path / "secrets.json"
    args = {
        "kind": "live",
        "fleet_result": "all",
        "api_keys": [{"name": name} for name in names],
        **({"secrets_file": str(secrets_file)} if to_file else {}),
    }

    # Without secrets_file and without no_log, the failure shows fleet-a's secret on purpose: its only copy.
    run = ansible.playbook(
        [{"name": "fleet", MODULE: args}], module_defaults=FAST_ONE_AT_A_TIME, shows=() if to_file else ("fleet-a",)
    )

    result = run.task("fleet")
    assert run.status("fleet") == "failed"
    assert "API key 'fleet-b' was created, but its secret was not received" in result["msg"]
    assert [item["name"] for item in result["fleet"]] == names
    assert "error" not in result["fleet"][0] and result["msg"].startswith(result["fleet"][1]["error"])
    assert result["fleet"][1]["changed"] is True
    assert result["fleet"][2] == {"name": "fleet-c", "changed": False, "action": "create", "attempted": False}
    assert result["summary"] == {
        "created": 2,
        "updated": 0,
        "enabled": 0,
        "disabled": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 0,
        "not_attempted": 1,
    }  # once each (issue 18)
    assert result["fleet"][1]["secret_lost"] is True
    if to_file:
        assert "secret" not in result["fleet"][0] and result["secrets_file"] == str(secrets_file)
        assert f"The secrets of the keys created before (1) are in {secrets_file}" in result["msg"]
        assert list(json.loads(secrets_file.read_text())) == ["fleet-a"]
        assert os.stat(secrets_file).st_mode & 0o777 == 0o600
    else:
        assert isinstance(result["fleet"][0]["secret"], str) and not secrets_file.exists()
    assert sorted(emulator.keys()) == ["fleet-a", "fleet-b"]
    assert emulator.create_count("fleet-a") == emulator.create_count("fleet-b") == 1
    report(
        SURVIVED,
        f"lost answer to PUT (fleet, {'secrets_file' if to_file else 'fleet'})",
        "task fails at that key; keys done before kept with their secrets; fleet-c not attempted",
    )
