# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The result tells the truth against a server that lies and under faults (issue 18): the summary counts what was done,
once for each key; a count of 2**53 sizes nothing; the secrets kept before a failure are told apart from those that
the writes under way created after it; a failure after retries says how many attempts it made."""

from __future__ import annotations

import json
import time

import pytest

from harness import report

MODULE = "fiskaly.management.fiskaly_api_key"
INFO = "fiskaly.management.fiskaly_api_key_info"
FAST = {"retries": 3, "retry_deadline": 20, "timeout": 2}
TABLE = "the result tells the truth (issue 18)"
KEYS = 200


def seeded(emulator, count: int, status: str = "enabled") -> list[str]:
    names = [f"liar-{number:03d}" for number in range(count)]
    emulator.seed_keys([{"name": name, "kind": "test", "status": status} for name in names])
    return names


@pytest.mark.parametrize(("state", "counted"), [("present", "unchanged"), ("disabled", "disabled")])
def test_a_listing_whose_count_lies_costs_conflicts_but_no_false_count(ansible, emulator, state, counted):
    names = seeded(emulator, KEYS)
    # The listing says the account is empty: every key is planned as a create, answered 409, and reconciled.
    emulator.inject("GET", "/api_keys", [{"body": {"data": [], "count": 0, "_type": "API_KEY_LIST"}}])
    task = {
        "name": "fleet",
        MODULE: {
            "kind": "test",
            "fleet_result": "all",
            "api_keys": [{"name": name, "state": state} for name in names],
            **FAST,
        },
    }

    run = ansible.playbook([task], verbosity=0)

    result = run.task("fleet")
    assert run.status("fleet") == ("ok" if counted == "unchanged" else "changed"), result.get("msg")
    expected = {
        "created": 0,
        "updated": 0,
        "enabled": 0,
        "disabled": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 0,
        "not_attempted": 0,
        counted: KEYS,
    }
    assert result["summary"] == expected
    assert {item["action"] for item in result["fleet"]} == {"none" if counted == "unchanged" else "disable"}
    assert (
        sorted(status for _method, status in {(entry["path"], entry["status"]) for entry in emulator.requests("PUT")})
        == [409] * KEYS
    )
    report(TABLE, f"listing count lies (0), {KEYS} keys {state}", f"summary: {counted} {KEYS}, created 0")


def test_a_count_of_two_to_the_53_sizes_nothing(ansible, emulator, monkeypatch):
    first = sorted(seeded(emulator, 150))
    huge = 9007199254740991
    original = emulator.keystore.list
    # Every page as it is, with the count of the reference page's own sample answer.
    monkeypatch.setattr(emulator.keystore, "list", lambda query: (original(query)[0], huge))
    task = {"name": "list", INFO: {"order_by": "name", "max_concurrent_requests": 10}}

    started = time.monotonic()
    run = ansible.playbook([task], verbosity=0)
    took = time.monotonic() - started

    result = run.task("list")
    assert run.status("list") == "ok", result.get("msg")
    assert [key["name"] for key in result["api_keys"]] == first and result["count"] == huge
    pages = [entry for entry in emulator.requests("GET") if entry["path"] == "/api_keys"]
    assert len(pages) <= 1 + 10, len(pages)  # the first page, then the window beyond it
    assert took < 60, took  # the time of any small listing; before, the pages planned from the count never ended
    report(TABLE, "count 2**53 with 150 keys, 10 in flight", f"{len(pages)} pages read, {took:.1f} s")


def test_the_secrets_kept_before_a_failure_are_told_apart_from_those_created_after_it(ansible, emulator, tmp_path):
    names = ["told-a", "told-b", "told-c", "told-d"]
    # told-c fails once told-a and told-b are done; told-d, under way at the time, is created after the failure.
    emulator.inject("PUT", "/api_keys/told-c", [{"delay": 0.5, "status": 400}])
    emulator.inject("PUT", "/api_keys/told-d", [{"delay": 1.5}])
    secrets_file = tmp_path / "secrets.json"
    args = {
        "kind": "test",
        "fleet_result": "all",
        "api_keys": [{"name": name} for name in names],
        "secrets_file": str(secrets_file),
        "max_concurrent_requests": 4,
    }

    run = ansible.playbook([{"name": "fleet", MODULE: args}], module_defaults={**FAST, "timeout": 10})

    result = run.task("fleet")
    assert run.status("fleet") == "failed"
    message = result["msg"]
    assert (
        f"The secrets of the keys created before (2) are in {secrets_file}, with those of the 1 created by the writes under way at the time"
        in message
    )
    assert sorted(json.loads(secrets_file.read_text())) == ["told-a", "told-b", "told-d"]
    assert result["summary"] == {
        "created": 3,
        "updated": 0,
        "enabled": 0,
        "disabled": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 1,
        "not_attempted": 0,
    }
    report(TABLE, "secrets before and after the failure", message[message.index("The secrets") :])


def test_a_failure_after_retries_says_how_many_attempts_it_made(ansible, emulator):
    emulator.inject("PUT", "/api_keys/tried-key", [{"status": 503}] * 4)
    emulator.inject("GET", "/api_keys/dropped-key", [{"drop": True}] * 3)

    run = ansible.playbook(
        [
            {"name": "create", MODULE: {"name": "tried-key", "kind": "test"}, "ignore_errors": True},
            {"name": "read", INFO: {"name": "dropped-key"}, "ignore_errors": True},
        ],
        module_defaults={**FAST, "retries": 3},
    )

    assert run.status("create") == "failed" and run.task("create")["msg"].endswith("(after 4 attempts)"), run.task(
        "create"
    )["msg"]
    assert "HTTP 503" in run.task("create")["msg"]
    assert run.status("read") == "ok"  # three attempts dropped, the fourth answered
    emulator.inject("GET", "/api_keys/dropped-key", [{"drop": True}] * 4)
    again = ansible.playbook([{"name": "read", INFO: {"name": "dropped-key"}}], module_defaults={**FAST, "retries": 3})
    message = again.task("read")["msg"]
    assert (
        again.status("read") == "failed"
        and message.startswith("Reading API key 'dropped-key' failed: connection closed")
        and message.endswith("(after 4 attempts)")
    )
    report(TABLE, "a failure after retries", run.task("create")["msg"])


def test_a_key_created_without_its_secret_while_another_write_failed_is_named_and_counted_once(
    ansible, emulator, tmp_path
):
    names = ["lost-a", "lost-b", "lost-c"]
    emulator.inject("PUT", "/api_keys/lost-b", [{"delay": 0.5, "status": 400}])
    # Under way when lost-b fails: carried out, its answer lost; the repeated request finds it (409).
    emulator.inject("PUT", "/api_keys/lost-c", [{"delay": 1.0, "lose_response": True}])
    args = {
        "kind": "test",
        "fleet_result": "all",
        "api_keys": [{"name": name} for name in names],
        "secrets_file": str(tmp_path / "secrets.json"),
        "max_concurrent_requests": 3,
    }

    run = ansible.playbook([{"name": "fleet", MODULE: args}], module_defaults={**FAST, "timeout": 10})

    result = run.task("fleet")
    entries = {item["name"]: item for item in result["fleet"]}
    assert run.status("fleet") == "failed" and result["msg"].startswith("Creating API key 'lost-b' failed: HTTP 400")
    assert "Created, but their secrets were not received (see fleet[].error): 'lost-c'" in result["msg"]
    assert (
        entries["lost-c"]["secret_lost"] is True
        and "was created, but its secret was not received" in entries["lost-c"]["error"]
    )
    assert "secret_lost" not in entries["lost-b"] and entries["lost-b"]["changed"] is False
    assert result["summary"] == {
        "created": 2,
        "updated": 0,
        "enabled": 0,
        "disabled": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 1,
        "not_attempted": 0,
    }
    report(TABLE, "a secret lost while another write failed", "named in the message, counted as created only")
