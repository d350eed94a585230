# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fiskaly_token's main() against the emulator: the login, check mode, the refresh, failures, and what the result shows."""

from __future__ import annotations

from ansible_collections.fiskaly.management.plugins.modules import fiskaly_token

NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_logs_in_with_the_key_pair_and_returns_the_tokens_it_was_given(run_module, emulator, minted):
    run = run_module(fiskaly_token)

    assert run["changed"] is False and "failed" not in run
    assert [run["access_token"], run["refresh_token"]] == minted()
    assert (
        run["access_token_expires_in"] == emulator.access_token_ttl
        and run["refresh_token_expires_in"] == emulator.refresh_token_ttl
    )
    assert [(entry["method"], entry["path"]) for entry in emulator.requests()] == [("POST", "/auth")]


def test_the_api_secret_shows_nowhere_in_the_result(run_module, emulator):
    run = run_module(fiskaly_token)

    assert emulator.api_secret not in run.output
    assert run.shown["invocation"]["module_args"]["api_secret"] == NO_LOG_PLACEHOLDER


def test_check_mode_logs_in_for_real_and_reports_no_change(run_module, emulator, minted):
    run = run_module(fiskaly_token, check_mode=True)

    assert run["changed"] is False and run["access_token"] == minted()[0]
    assert emulator.requests("POST", "/auth") != []


def test_a_second_login_changes_nothing_either(run_module, minted):
    first, second = run_module(fiskaly_token), run_module(fiskaly_token)

    assert first["changed"] is second["changed"] is False
    assert first["access_token"] != second["access_token"] and second["access_token"] in minted()


def test_the_refresh_token_gets_a_new_access_token_and_is_shown_nowhere(run_module, emulator, minted):
    refresh_token = run_module(fiskaly_token)["refresh_token"]

    run = run_module(fiskaly_token, api_key=None, api_secret=None, refresh_token=refresh_token)

    assert run["changed"] is False and run["access_token"] in minted()[2:]
    assert refresh_token not in run.output
    assert run.shown["invocation"]["module_args"]["refresh_token"] == NO_LOG_PLACEHOLDER
    assert emulator.requests("POST", "/auth")[-1]["status"] == 200


def test_a_wrong_secret_fails_with_the_api_status_and_no_secret(run_module, emulator):
    run = run_module(fiskaly_token, api_secret="not-the-secret-at-all")

    assert run["failed"] is True and run.get("changed", False) is False
    assert run["msg"].startswith("Retrieving a token with api_key and api_secret failed") and "401" in run["msg"]
    assert run["failure"]["status"] == 401
    assert "not-the-secret-at-all" not in run.output and emulator.api_secret not in run.output
    assert "access_token" not in run


def test_neither_key_pair_nor_refresh_token_fails_before_any_request(run_module, emulator):
    run = run_module(fiskaly_token, api_key=None, api_secret=None)

    assert run["failed"] is True
    assert "refresh_token" in run["msg"] and "api_key" in run["msg"]
    assert emulator.requests() == []
