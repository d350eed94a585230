# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two runs of one fleet declaration at once (issue 18, point 1): each key is created by one of them, and each run's
summary counts what it did, not what it planned."""

from __future__ import annotations

import json
import threading

import pytest

from harness import report

MODULE = "fiskaly.management.fiskaly_api_key"
HOSTS = ["pipeline-a", "pipeline-b"]
KEYS = 300


@pytest.fixture
def listings_held_until_both_listed(emulator, monkeypatch):
    """Hold each run's listing until both have listed: both plan every key as a create, so the race is certain."""
    barrier = threading.Barrier(len(HOSTS), timeout=60)
    original = emulator.keystore.list
    calls = {"count": 0}
    lock = threading.Lock()

    def listing(query):
        answer = original(query)
        with lock:
            calls["count"] += 1
            wait = calls["count"] <= len(HOSTS)
        if wait:
            barrier.wait()
        return answer

    monkeypatch.setattr(emulator.keystore, "list", listing)
    return calls


@pytest.mark.parametrize("emulator", [{"latency": 0.05}], indirect=True)
def test_two_runs_of_one_declaration_each_count_what_they_did(
    ansible, emulator, tmp_path, listings_held_until_both_listed
):
    names = [f"race-{number:03d}" for number in range(KEYS)]
    args = {
        "kind": "test",
        "fleet_result": "all",
        "api_keys": [{"name": name} for name in names],
        "max_concurrent_requests": 10,
        "secrets_file": str(tmp_path) + "/secrets-{{ inventory_hostname }}.json",
    }

    run = ansible.playbook(
        [{"name": "fleet", MODULE: args}],
        hosts="all",
        inventory=",".join(HOSTS) + ",",
        forks=len(HOSTS),
        play_vars={"ansible_connection": "local"},
    )

    assert run.rc == 0, run.output[-3000:]
    assert listings_held_until_both_listed["count"] == len(HOSTS)
    created = {}
    for host in HOSTS:
        result = run.task("fleet", host)
        summary = result["summary"]
        secrets_file = tmp_path / f"secrets-{host}.json"
        kept = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
        made = [item["name"] for item in result["fleet"] if item["action"] == "create"]
        # A create answered 409 was reconciled with the key the other run made: nothing done, nothing counted as
        # created.
        assert all(
            item["action"] == "none" and not item["changed"] for item in result["fleet"] if item["name"] not in made
        )
        assert summary == {
            "created": len(made),
            "updated": 0,
            "enabled": 0,
            "disabled": 0,
            "deleted": 0,
            "unchanged": KEYS - len(made),
            "failed": 0,
            "not_attempted": 0,
        }
        assert sorted(kept) == sorted(made) and sum(summary.values()) == KEYS
        assert run.status("fleet", host) == ("changed" if made else "ok") and result["changed"] is bool(made)
        created[host] = made
    assert sorted(created["pipeline-a"] + created["pipeline-b"]) == names  # each key created once, by one run
    assert all(emulator.create_count(name) == 1 for name in names)
    assert len(emulator.requests("PUT")) == 2 * KEYS  # every create sent twice: once created, once answered 409
    shares = ", ".join(f"{host} created {len(made)}" for host, made in created.items())
    report(
        "concurrency",
        f"two runs of one {KEYS}-key fleet at once, 10 in flight",
        f"{shares}; each summary counts what it did",
    )
