# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A create whose answer was lost is looked up whatever the last answer was: a key found then is reported as created,
its secret lost, for one key and for a fleet; a create that no attempt can have carried out is not looked up."""

from __future__ import annotations

import pytest

from harness import fleet_of_three, report

MODULE = "fiskaly.management.fiskaly_api_key"
FAST = {"retries": 2, "retry_deadline": 20, "timeout": 1}
LOST = "lost answer to a create, then error answers to the end"


@pytest.mark.parametrize(
    "final",
    [{"status": 503}, {"status": 429}, {"status": 500}, {"status": 502, "html": True}],
    ids=["503", "429", "500", "502 HTML"],
)
def test_a_create_that_landed_then_met_errors_to_the_end_is_reported_as_created(ansible, emulator, final):
    # The first PUT is carried out, its answer lost; each retry is then turned away.
    emulator.inject("PUT", "/api_keys/lost-key", [{"lose_response": True}, final, final])

    run = ansible.playbook([{"name": "create", MODULE: {"name": "lost-key", "kind": "test"}}], module_defaults=FAST)

    result = run.task("create")
    assert run.status("create") == "failed" and result["changed"] is True
    assert "API key 'lost-key' was created, but its secret was not received" in result["msg"]
    assert f"the request ended in HTTP {final['status']}" in result["msg"]
    assert result["api_key"]["name"] == "lost-key" and "secret" not in result
    assert emulator.create_count("lost-key") == 1
    # Three PUTs (the lost one and two retries), then the look-up.
    assert [
        (entry["method"], entry["status"]) for entry in emulator.requests() if entry["path"] == "/api_keys/lost-key"
    ][-4:] == [
        ("PUT", 200),
        ("PUT", final["status"]),
        ("PUT", final["status"]),
        ("GET", 200),
    ]  # the lost answer is logged as sent
    report(
        LOST,
        f"single key, last answer HTTP {final['status']}",
        "task fails with changed true, names the key as created, its secret lost",
    )


def test_a_fleet_counts_such_a_key_as_created(ansible, emulator):
    emulator.inject("PUT", "/api_keys/lost-b", [{"lose_response": True}, {"status": 503}, {"status": 503}])

    result = fleet_of_three(ansible, ("lost-a", "lost-b", "lost-c"), FAST)
    assert isinstance(result["fleet"][0]["secret"], str) and sorted(emulator.keys()) == ["lost-a", "lost-b"]
    report(
        LOST, "fleet, last answer HTTP 503", "summary.created counts the key; the secrets of the keys before are kept"
    )


def test_a_create_turned_away_every_time_is_a_plain_failure_and_not_looked_up(ansible, emulator):
    # 503 says the request was not carried out: nothing to look for, and nothing was created.
    emulator.inject("PUT", "/api_keys/never-key", [{"status": 503}] * 3)

    run = ansible.playbook([{"name": "create", MODULE: {"name": "never-key", "kind": "test"}}], module_defaults=FAST)

    result = run.task("create")
    assert run.status("create") == "failed" and result["changed"] is False
    assert "HTTP 503" in result["msg"] and "was created" not in result["msg"]
    assert [entry["method"] for entry in emulator.requests() if entry["path"] == "/api_keys/never-key"] == [
        "GET",
        "PUT",
        "PUT",
        "PUT",
    ]
    assert emulator.keys() == {}
