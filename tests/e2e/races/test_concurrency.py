# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twenty forks create the same key at the same moment: one creates it, the others adopt it."""

from __future__ import annotations

import threading

import pytest

from harness import report

MODULE = "fiskaly.management.fiskaly_api_key"
FORKS = 20
HOSTS = [f"h{number:02d}" for number in range(1, FORKS + 1)]


@pytest.fixture
def reads_held_until_every_fork_asked(emulator, monkeypatch):
    """Hold the first GET of the key by each fork until all have asked: every fork sees it missing and sends its PUT,
    so the race is certain, not left to the scheduler."""
    barrier = threading.Barrier(FORKS, timeout=60)
    held = {"count": 0}
    lock = threading.Lock()
    original = emulator.keystore.get

    def get(name):
        with lock:
            held["count"] += 1
            wait = held["count"] <= FORKS
        if not wait:
            return original(name)
        # Read first, answer once all have read: no fork's PUT can land between two of these reads.
        try:
            answer = original(name)
        except Exception as missing:  # pylint: disable=broad-exception-caught
            barrier.wait()
            raise missing
        barrier.wait()
        return answer

    monkeypatch.setattr(emulator.keystore, "get", get)
    return held


def test_twenty_forks_creating_one_key_create_it_once_and_all_succeed(
    ansible, emulator, reads_held_until_every_fork_asked
):
    task = {"name": "create", MODULE: {"name": "shared-key", "kind": "live", "state": "enabled"}}

    run = ansible.playbook(
        [task],
        hosts="all",
        inventory=",".join(HOSTS) + ",",
        forks=FORKS,
        play_vars={"ansible_connection": "local"},
        shows=("shared-key",),
    )

    assert run.rc == 0, run.output[-3000:]
    statuses = {host: run.status("create", host) for host in HOSTS}
    assert sorted(set(statuses.values())) == ["changed", "ok"] and list(statuses.values()).count("changed") == 1
    with_secret = [host for host in HOSTS if "secret" in run.task("create", host)]
    assert len(with_secret) == 1 and statuses[with_secret[0]] == "changed"
    assert all(run.task("create", host)["api_key"]["status"] == "enabled" for host in HOSTS)
    assert emulator.create_count("shared-key") == 1
    puts = emulator.requests("PUT", "/api_keys/shared-key")
    # Every fork sent its PUT: one was answered 200, the other 19 got 409 and re-read the key.
    assert sorted(entry["status"] for entry in puts) == [200] + [409] * (FORKS - 1)
    assert reads_held_until_every_fork_asked["count"] == 2 * FORKS - 1
    report(
        "concurrency",
        f"{FORKS} forks create one key",
        f"all ok, created once, 1 secret, {FORKS - 1} PUTs answered 409 and adopted",
    )


def test_twenty_forks_disabling_one_key_all_succeed_and_it_ends_disabled(ansible, emulator):
    emulator.seed_keys([{"name": "shared-off", "kind": "test", "status": "enabled"}])
    task = {"name": "disable", MODULE: {"name": "shared-off", "state": "disabled"}}

    run = ansible.playbook(
        [task], hosts="all", inventory=",".join(HOSTS) + ",", forks=FORKS, play_vars={"ansible_connection": "local"}
    )

    assert run.rc == 0, run.output[-3000:]
    assert all(run.status("disable", host) in ("changed", "ok") for host in HOSTS)
    assert emulator.keys()["shared-off"]["status"] == "disabled" and emulator.requests("PUT") == []
    # A fork reports a change exactly when it sent a PATCH.
    changed = [host for host in HOSTS if run.status("disable", host) == "changed"]
    assert len(changed) == len(emulator.requests("PATCH")) >= 1
