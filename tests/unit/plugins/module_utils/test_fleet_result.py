# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet's result sized to what changed: by default the list holds the keys that changed or failed, the summary
counts every key; fleet_result=all lists every entry. The secrets go to secrets_file either way. The plans and the
writes are faked (no client, no API)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys import run as api_key_run
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.plans import DesiredKey, Plan
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.reconcile import Outcome
from ansible_collections.fiskaly.management.plugins.module_utils._errors import FiskalyError

UNCHANGED = [
    Plan(DesiredKey(f"same-{index}"), [{"name": f"same-{index}", "kind": "live", "status": "enabled"}])
    for index in range(5)
]
DISABLED = Plan(DesiredKey("off-1", "disabled"), [{"name": "off-1", "kind": "live", "status": "enabled"}])
CREATED = Plan(DesiredKey("new-1", kind="test"), [])


def fleet(monkeypatch, plans: list[Plan], outcomes: dict[int, Outcome], failures: dict | None = None) -> None:
    """reconcile_fleet's plans, and the writes that give these outcomes (and failures)."""
    monkeypatch.setattr(api_key_run, "plan_keys", lambda client, keys: plans)

    def reconcile_all(self, plans):
        self.progress.outcomes.update(outcomes)
        self.progress.failures.update(failures or {})
        if failures:
            raise next(iter(failures.values()))
        return self.progress

    monkeypatch.setattr(api_key_run.Reconciler, "reconcile_all", reconcile_all)


def done(plan: Plan, secret: str | None = None) -> Outcome:
    return Outcome(plan, plan.predicted(), secret)


def run(plans: list[Plan], **options) -> dict:
    return api_key_run.reconcile_fleet(
        None,  # type: ignore[arg-type]  # the plans and writes are faked: no client is asked
        [plan.desired for plan in plans],
        check_mode=False,
        diff=False,
        options=api_key_run.FleetOptions(**options),
    )


def test_by_default_only_changed_entries_are_listed_and_the_summary_counts_every_key(monkeypatch):
    plans = [*UNCHANGED[:2], DISABLED, *UNCHANGED[2:]]
    fleet(monkeypatch, plans, {index: done(plan) for index, plan in enumerate(plans)})

    result = run(plans)

    assert [(entry["name"], entry["action"]) for entry in result["fleet"]] == [("off-1", "disable")]
    assert result["changed"] is True
    assert result["summary"] == {
        "created": 0,
        "updated": 0,
        "enabled": 0,
        "disabled": 1,
        "deleted": 0,
        "unchanged": 5,
        "failed": 0,
        "not_attempted": 0,
    }


def test_a_run_that_changed_nothing_lists_nothing(monkeypatch):
    fleet(monkeypatch, UNCHANGED, {index: done(plan) for index, plan in enumerate(UNCHANGED)})

    result = run(UNCHANGED)

    assert result["fleet"] == [] and result["changed"] is False
    assert result["summary"]["unchanged"] == len(UNCHANGED)


def test_every_entry_lists_every_key_in_the_order_declared(monkeypatch):
    plans = [*UNCHANGED[:2], DISABLED, *UNCHANGED[2:]]
    fleet(monkeypatch, plans, {index: done(plan) for index, plan in enumerate(plans)})

    result = run(plans, every_entry=True)

    assert [entry["name"] for entry in result["fleet"]] == [plan.name for plan in plans]
    assert [entry["changed"] for entry in result["fleet"]] == [False, False, True, False, False, False]
    assert result["summary"]["unchanged"] == 5 and result["summary"]["disabled"] == 1


def test_a_failure_keeps_the_failed_entry_and_counts_the_rest(monkeypatch):
    # The second write failed: the first is done, those after it not attempted, the unchanged ones done too.
    plans = [
        UNCHANGED[0],
        DISABLED,
        Plan(DesiredKey("off-2", "disabled"), [{"name": "off-2", "status": "enabled"}]),
        UNCHANGED[1],
    ]
    failure = FiskalyError("API answered 500 to PATCH /api_keys/off-2")
    fleet(monkeypatch, plans, {0: done(plans[0]), 1: done(plans[1])}, {2: failure})

    with pytest.raises(FiskalyError) as failed:
        run(plans)

    result = failed.value.result
    assert [(entry["name"], "error" in entry) for entry in result["fleet"]] == [("off-1", False), ("off-2", True)]
    assert result["fleet"][1]["error"] == str(failure)
    assert result["summary"]["disabled"] == 1 and result["summary"]["failed"] == 1
    assert result["summary"]["unchanged"] == 1 and result["summary"]["not_attempted"] == 1
    assert result["changed"] is True


def test_secrets_still_go_to_the_secrets_file(monkeypatch, tmp_path):
    plans = [*UNCHANGED[:3], CREATED]
    fleet(
        monkeypatch,
        plans,
        {index: done(plan, "s3cret" if plan is CREATED else None) for index, plan in enumerate(plans)},
    )
    secrets_file = tmp_path / "secrets.json"

    result = run(plans, secrets_file=str(secrets_file))

    assert [entry["name"] for entry in result["fleet"]] == ["new-1"]
    assert "secret" not in result["fleet"][0] and "s3cret" not in json.dumps(result)
    assert result["secrets_file"] == str(secrets_file)
    assert json.loads(secrets_file.read_text(encoding="utf-8")) == {"new-1": "s3cret"}
    assert result["summary"]["created"] == 1 and result["summary"]["unchanged"] == 3
