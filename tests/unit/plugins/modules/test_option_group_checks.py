# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How fiskaly_module words the checks of the option groups that a module asks for: the values of every group in one
message, what is missing after them; fiskaly_token's own rule (a refresh token or the key pair) only once the rest
passed. No request goes out for any of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.fiskaly.management.plugins.modules import fiskaly_api_key_info, fiskaly_token

MISSING = " ".join(
    (
        "one of {}, or api_key with api_secret, is required",
        "(as options, through module_defaults, or as FISKALY_* environment variables)",
    ),
)
TIMEOUT = "timeout must be a number of seconds greater than 0 and at most 3600, got 0.0"
UNPRINTABLE = "{} must not contain white space or control characters (a trailing line break from a file or vault, say)"
ASCII = " ".join(
    (
        "access_token must be ASCII: it goes in an HTTP header,",
        "which takes no other characters (a token never has them)",
    ),
)
NO_CREDENTIALS = {"api_key": None, "api_secret": None}
Runner = Callable[..., Any]


def test_an_access_token_module_says_what_is_missing_after_the_bad_values(run_module: Runner, emulator: Any) -> None:
    run = run_module(fiskaly_api_key_info, timeout=0, **NO_CREDENTIALS)

    assert run["msg"] == f"{TIMEOUT}; {MISSING.format('access_token')}"
    assert emulator.requests() == []


def test_fiskaly_token_wants_refresh_token_or_key_pair_once_the_values_pass(run_module: Runner, emulator: Any) -> None:
    bad_value = run_module(fiskaly_token, timeout=0, **NO_CREDENTIALS)
    nothing_else = run_module(fiskaly_token, **NO_CREDENTIALS)

    assert bad_value["msg"] == TIMEOUT
    assert nothing_else["msg"] == MISSING.format("refresh_token")
    assert emulator.requests() == []


def test_the_credentials_come_first_a_refresh_token_among_them(run_module: Runner, emulator: Any) -> None:
    run = run_module(fiskaly_token, timeout=0, access_token="t\u00f6ken\n", refresh_token="refresh\n")

    expected = [UNPRINTABLE.format("access_token"), UNPRINTABLE.format("refresh_token")]
    expected.append(ASCII)
    assert run["msg"] == "; ".join([*expected, TIMEOUT])
    assert emulator.requests() == []


def test_validate_certs_false_warns_once_the_input_passed_and_not_before(run_module: Runner) -> None:
    refused = run_module(fiskaly_token, validate_certs=False, **NO_CREDENTIALS)
    passed = run_module(fiskaly_api_key_info, validate_certs=False, ca_path=None, limit=1)

    # The warning's shape in the result differs between ansible-core lines; its text does not.
    assert "validate_certs is false" not in refused.output
    assert "validate_certs is false" in passed.output and "failed" not in passed
