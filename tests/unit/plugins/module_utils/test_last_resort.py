# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where no file can take a new key's secret, the run fails with the secret in its result: failures are shown at
every verbosity, so the secret is never lost silently."""

from __future__ import annotations

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys import run as api_key_run
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.plans import DesiredKey, Plan
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.reconcile import Outcome
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.secret_files import Reservation
from ansible_collections.fiskaly.management.plugins.module_utils._errors import FiskalyError


class NoFileTakesIt(Reservation):
    def __init__(self, option: str):  # pylint: disable=super-init-not-called  # nothing is created
        self.option = option
        self.path = f"/nowhere/{option}"

    def fill(self, content):
        return None, f"{self.option} {self.path} could not be written: No space left on device"


def created(name: str) -> Outcome:
    return Outcome(
        Plan(DesiredKey(name, kind="test"), []),
        {"name": name, "kind": "test", "status": "enabled"},
        f"secret-of-{name}",
    )


def test_one_key_fails_with_its_secret_in_the_result(monkeypatch):
    monkeypatch.setattr(api_key_run, "plan_keys", lambda client, keys: [created("last-one").plan])
    monkeypatch.setattr(api_key_run, "reserve", lambda option, path, check_mode: NoFileTakesIt(option))
    monkeypatch.setattr(api_key_run.Reconciler, "reconcile", lambda self, plan: created("last-one"))

    with pytest.raises(
        FiskalyError, match=r"nor could any fallback file. As a last resort the secrets are in this task's result"
    ) as failed:
        api_key_run.reconcile_one(
            None, DesiredKey("last-one", kind="test"), check_mode=False, diff=False, secret_file="/nowhere/x"
        )

    assert failed.value.result["secret"] == "secret-of-last-one" and failed.value.result["changed"] is True
    assert "No space left on device" in failed.value.result["secret_file_error"]


def test_a_fleet_fails_with_every_secret_in_its_entries(monkeypatch):
    outcomes = [created("last-a"), created("last-b")]
    monkeypatch.setattr(api_key_run, "plan_keys", lambda client, keys: [outcome.plan for outcome in outcomes])
    monkeypatch.setattr(api_key_run, "reserve", lambda option, path, check_mode: NoFileTakesIt(option))

    def reconcile_all(self, plans):
        self.progress.outcomes.update(enumerate(outcomes))
        return self.progress

    monkeypatch.setattr(api_key_run.Reconciler, "reconcile_all", reconcile_all)

    with pytest.raises(FiskalyError, match=r"fleet\[\]\.secret") as failed:
        api_key_run.reconcile_fleet(
            None,
            [outcome.plan.desired for outcome in outcomes],
            check_mode=False,
            diff=False,
            options=api_key_run.FleetOptions("/x"),
        )

    assert [item["secret"] for item in failed.value.result["fleet"]] == ["secret-of-last-a", "secret-of-last-b"]
    assert "secrets_file" not in failed.value.result and failed.value.result["secrets_file_error"]
