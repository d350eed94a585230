# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API 0.12: a create is a POST that a repeat would carry out twice (names are not unique there). It is never sent
again after an attempt that may have reached the API; the key is looked up by name instead. Attempts the API turned
away (429, 503) are repeated."""

from __future__ import annotations

from harness import report

MODULE = "fiskaly.management.fiskaly_api_key"
FAST = {"retries": 2, "retry_deadline": 20, "timeout": 2}
FAULTS = "0.12 create faults"


def keys_path(emulator) -> str:
    return f"/organizations/{emulator.organization_id}/api-keys"


def posts(emulator) -> list[dict]:
    return [entry for entry in emulator.requests() if entry["method"] == "POST" and entry["path"] != "/auth"]


def named(emulator, name: str) -> list[dict]:
    return [key for key in emulator.keys().values() if key["name"] == name]


def test_a_lost_answer_to_the_create_is_looked_up_never_posted_again(ansible_012, emulator_012):
    emulator = emulator_012
    emulator.inject("POST", keys_path(emulator), [{"lose_response": True}])

    run = ansible_012.playbook([{"name": "create", MODULE: {"name": "lost-012"}}], module_defaults=FAST)

    result = run.task("create")
    assert run.status("create") == "failed" and result["changed"] is True, result
    assert "API key 'lost-012' was created, but its secret was not received" in result["msg"]
    assert result["api_key"]["name"] == "lost-012" and "secret" not in result
    assert len(posts(emulator)) == 1 and len(named(emulator, "lost-012")) == 1

    again = ansible_012.playbook([{"name": "again", MODULE: {"name": "lost-012"}}], module_defaults=FAST)
    assert again.status("again") == "ok" and again.task("again")["changed"] is False
    assert len(posts(emulator)) == 1 and len(named(emulator, "lost-012")) == 1
    report(FAULTS, "answer to the POST lost", "reported created, secret lost; one POST, one key; rerun unchanged")


def test_a_create_answer_that_times_out_is_looked_up_never_posted_again(ansible_012, emulator_012):
    emulator = emulator_012
    # The key is created, then its answer, secret included, trickles past timeout: a read timeout.
    emulator.inject("POST", keys_path(emulator), [{"trickle": 0.2, "trickle_bytes": 2, "trickle_from": "body"}])

    run = ansible_012.playbook(
        [{"name": "create", MODULE: {"name": "slow-012"}}], module_defaults={**FAST, "timeout": 1}
    )

    result = run.task("create")
    assert run.status("create") == "failed" and result["changed"] is True, result
    assert "API key 'slow-012' was created, but its secret was not received" in result["msg"]
    assert len(posts(emulator)) == 1 and len(named(emulator, "slow-012")) == 1
    report(FAULTS, "answer to the POST times out", "reported created, secret lost; one POST, one key")


def test_a_500_to_the_create_is_not_repeated(ansible_012, emulator_012):
    emulator = emulator_012
    emulator.inject("POST", keys_path(emulator), [{"status": 500}])

    run = ansible_012.playbook([{"name": "create", MODULE: {"name": "err-012"}}], module_defaults=FAST)

    result = run.task("create")
    assert run.status("create") == "failed" and "HTTP 500" in result["msg"], result
    # One POST, then the look-up (a listing), which finds no key: the 500 was the emulator's, not carried out.
    assert len(posts(emulator)) == 1 and named(emulator, "err-012") == []
    assert [entry["method"] for entry in emulator.requests() if entry["path"] == keys_path(emulator)][-2:] == [
        "POST",
        "GET",
    ]
    report(FAULTS, "HTTP 500 to the POST", "one POST, then looked up; fails, no second POST")


def test_a_create_turned_away_is_retried_and_creates_one_key(ansible_012, emulator_012):
    emulator = emulator_012
    # 503 and 429 say the request was not carried out: repeating it cannot make a second key.
    emulator.inject("POST", keys_path(emulator), [{"status": 503}, {"status": 429}])

    run = ansible_012.playbook(
        [{"name": "create", MODULE: {"name": "away-012"}, "register": "made", "no_log": True}],
        module_defaults=FAST,
        keep=("made",),
    )

    assert run.status("create") == "changed"
    assert isinstance(run.kept("made")["secret"], str)
    assert [entry["status"] for entry in posts(emulator)] == [503, 429, 201]
    assert len(named(emulator, "away-012")) == 1
    report(FAULTS, "HTTP 503 then 429 to the POST", "retried; one key, its secret delivered")
