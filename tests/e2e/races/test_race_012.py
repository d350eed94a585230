# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API 0.12 keeps no name unique: two runs that declare the same new key at once may both create it. The documented
outcome: both succeed, and the next run fails naming both keys' ids (the user deletes one, or addresses one by id)."""

from __future__ import annotations

from harness import report, wait_for

MODULE = "fiskaly.management.fiskaly_api_key"


def test_two_runs_creating_the_same_name_on_012_make_two_keys_and_the_next_run_names_both(ansible_012, emulator_012):
    emulator = emulator_012
    path = f"/organizations/{emulator.organization_id}/api-keys"
    # The first create waits before it is carried out, so that the other run's look-up finds no key either.
    emulator.inject("POST", path, [{"delay": 3.0}])
    task = [{"name": "create", MODULE: {"name": "race-012"}, "no_log": True}]

    first = ansible_012.spawn(task, verbosity=0)
    second = ansible_012.spawn(task, verbosity=0)
    runs = [first.wait(), second.wait()]

    assert [run.rc for run in runs] == [0, 0]
    wait_for(lambda: len(emulator.keys()) == 2, limit=10)
    ids = sorted(emulator.keys())
    third = ansible_012.playbook([{"name": "again", MODULE: {"name": "race-012"}}], verbosity=0)
    result = third.task("again")
    assert third.status("again") == "failed"
    assert "matches 2 keys of that name" in result["msg"] and all(key_id in result["msg"] for key_id in ids), result
    report("0.12 race", "two runs create the same new name", "both create; the next run fails naming both _ids")
