# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fiskaly_api_key's main() against the emulator: create, idempotence, check mode, diff, failures, and where a secret goes."""

from __future__ import annotations

import json
import stat

from ansible_collections.fiskaly.management.plugins.modules import fiskaly_api_key

NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def writes(emulator) -> list[tuple[str, str]]:
    return [(entry["method"], entry["path"]) for entry in emulator.requests() if entry["method"] in ("PUT", "PATCH")]


def key_secrets(emulator, start: int = 0) -> list[str]:
    return [
        secret.value
        for secret in emulator.minted_secrets(start)
        if secret.kind not in ("access_token", "refresh_token")
    ]


def test_creates_a_missing_key_and_returns_its_secret_once(run_module, emulator):
    before = len(emulator.minted_secrets())

    run = run_module(fiskaly_api_key, name="pos-unit-01", kind="live", metadata={"store": "berlin"})

    assert run["changed"] is True
    assert {name: run["api_key"][name] for name in ("name", "kind", "status", "metadata")} == {
        "name": "pos-unit-01",
        "kind": "live",
        "status": "enabled",
        "metadata": {"store": "berlin"},
    }
    assert [run["secret"]] == key_secrets(emulator, before)
    assert "secret" not in run["api_key"]
    assert writes(emulator) == [("PUT", "/api_keys/pos-unit-01")]
    assert (
        emulator.api_secret not in run.output
        and run.shown["invocation"]["module_args"]["api_secret"] == NO_LOG_PLACEHOLDER
    )


def test_a_second_run_changes_nothing_sends_no_write_and_returns_no_secret(run_module, emulator):
    first = run_module(fiskaly_api_key, name="pos-unit-01", kind="live", state="enabled")
    emulator.clear_requests()

    again = run_module(fiskaly_api_key, name="pos-unit-01", kind="live", state="enabled")
    present = run_module(fiskaly_api_key, name="pos-unit-01")

    for run in (again, present):
        assert run["changed"] is False and "secret" not in run and run["api_key"]["status"] == "enabled"
        assert first["secret"] not in run.output
    assert writes(emulator) == [] and emulator.requests() != []
    assert emulator.create_count("pos-unit-01") == 1


def test_a_status_change_is_one_patch_then_no_change(run_module, emulator):
    emulator.seed_keys([{"name": "pos-unit-on", "kind": "test", "status": "enabled"}])

    disable = run_module(fiskaly_api_key, name="pos-unit-on", state="disabled")
    again = run_module(fiskaly_api_key, name="pos-unit-on", state="disabled")

    assert disable["changed"] is True and again["changed"] is False
    assert emulator.keys()["pos-unit-on"]["status"] == "disabled"
    assert writes(emulator) == [("PATCH", "/api_keys/pos-unit-on")]


def test_check_mode_reports_the_change_and_writes_nothing(run_module, emulator):
    emulator.seed_keys([{"name": "pos-unit-on", "kind": "test", "status": "enabled"}])
    before = len(emulator.minted_secrets())

    create = run_module(fiskaly_api_key, check_mode=True, name="pos-unit-new", kind="test", state="disabled")
    disable = run_module(fiskaly_api_key, check_mode=True, name="pos-unit-on", state="disabled")
    unchanged = run_module(fiskaly_api_key, check_mode=True, name="pos-unit-on", state="enabled")

    assert create["changed"] is True and "secret" not in create and create["api_key"]["status"] == "disabled"
    assert disable["changed"] is True and disable["api_key"]["status"] == "disabled"
    assert unchanged["changed"] is False
    assert writes(emulator) == [] and sorted(emulator.keys()) == ["pos-unit-on"]
    assert emulator.keys()["pos-unit-on"]["status"] == "enabled" and key_secrets(emulator, before) == []


def test_diff_shows_the_key_before_and_after_and_never_the_secret(run_module, emulator):
    run = run_module(fiskaly_api_key, diff=True, name="pos-unit-diff", kind="test")

    assert run["changed"] is True
    assert run["diff"]["before"] == {}
    assert run["diff"]["after"] == {"name": "pos-unit-diff", "kind": "test", "status": "enabled", "metadata": {}}
    assert run["secret"] not in json.dumps(run["diff"])


def test_secret_file_keeps_the_secret_out_of_the_result(run_module, emulator, tmp_path):
    before = len(emulator.minted_secrets())
    path = tmp_path / "pos.secret"

    run = run_module(fiskaly_api_key, name="pos-unit-file", kind="test", secret_file=str(path))

    [secret] = key_secrets(emulator, before)
    assert run["changed"] is True and "secret" not in run and run["secret_file"] == str(path)
    assert secret not in run.output
    assert path.read_text(encoding="utf-8").strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_fleet_is_created_once_and_a_second_run_changes_nothing(run_module, emulator, tmp_path):
    fleet = [
        {"name": "fleet-unit-1"},
        {"name": "fleet-unit-2", "state": "disabled"},
        {"name": "fleet-unit-3", "kind": "live"},
    ]
    secrets = tmp_path / "fleet.json"

    first = run_module(fiskaly_api_key, kind="test", api_keys=fleet, secrets_file=str(secrets))
    emulator.clear_requests()
    again = run_module(fiskaly_api_key, kind="test", api_keys=fleet)

    assert first["changed"] is True and first["summary"]["created"] == 3
    assert [entry["action"] for entry in first["fleet"]] == ["create"] * 3
    assert sorted(json.loads(secrets.read_text(encoding="utf-8"))) == ["fleet-unit-1", "fleet-unit-2", "fleet-unit-3"]
    assert all("secret" not in entry for entry in first["fleet"])
    assert again["changed"] is False and again["summary"]["unchanged"] == 3 and writes(emulator) == []
    assert {name: (key["kind"], key["status"]) for name, key in emulator.keys().items()} == {
        "fleet-unit-1": ("test", "enabled"),
        "fleet-unit-2": ("test", "disabled"),
        "fleet-unit-3": ("live", "enabled"),
    }


def test_a_kind_that_differs_from_the_existing_key_fails_naming_both_and_writes_nothing(run_module, emulator):
    emulator.seed_keys([{"name": "pos-unit-live", "kind": "live", "status": "enabled"}])

    run = run_module(fiskaly_api_key, name="pos-unit-live", kind="test")

    assert run["failed"] is True
    assert run["msg"] == (
        "API key 'pos-unit-live' exists with kind 'live', but kind 'test' is wanted: the API cannot change the kind of a key"
    )
    assert writes(emulator) == []


def test_a_bad_name_fails_naming_the_option_and_the_rule_before_any_request(run_module, emulator):
    run = run_module(fiskaly_api_key, name="POS 1", kind="test")

    assert run["failed"] is True
    assert run["msg"] == "name must match ^[a-z0-9-]{3,30}$ (3 to 30 lowercase letters, digits or hyphens), got 'POS 1'"
    assert emulator.requests() == []


def test_a_wrong_secret_fails_and_shows_no_secret(run_module, emulator):
    run = run_module(fiskaly_api_key, name="pos-unit-01", kind="test", api_secret="wrong-secret-for-the-test")

    assert run["failed"] is True and run["failure"]["status"] == 401
    assert "wrong-secret-for-the-test" not in run.output and emulator.api_secret not in run.output
    assert writes(emulator) == []
