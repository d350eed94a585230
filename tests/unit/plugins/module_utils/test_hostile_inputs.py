# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the local checks of issue 13: numeric options finite and in range, an access_token for a header, the
environment that requests reads (CA bundle, proxies), and messages that stay short whatever the input."""

from __future__ import annotations

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.rules import name_errors
from ansible_collections.fiskaly.management.plugins.module_utils._auth_options import CredentialOptions
from ansible_collections.fiskaly.management.plugins.module_utils._connection_options import ConnectionOptions
from ansible_collections.fiskaly.management.plugins.module_utils._messages import error_list

credential_errors = CredentialOptions().errors
connection_errors = ConnectionOptions().value_errors
environment_errors = ConnectionOptions().environment_errors
base_url_errors = ConnectionOptions.base_url_errors
shown_base_url = ConnectionOptions.shown_base_url

PARAMS = {
    "api_key": "key",
    "api_secret": "s3cret",
    "access_token": None,
    "refresh_token": None,
    "ca_path": None,
    "validate_certs": True,
    "base_url": "https://api.test/api/v0",
    "timeout": 30.0,
    "retries": 5,
    "retry_deadline": 60.0,
    "max_concurrent_requests": 10,
    "api_version": "auto",
    "organization_id": None,
}


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("timeout", float("inf"), "timeout must be a number of seconds greater than 0 and at most 3600, got inf"),
        ("timeout", float("nan"), "timeout must be a number of seconds greater than 0 and at most 3600, got nan"),
        ("timeout", 0.0, "timeout must be a number of seconds greater than 0"),
        ("timeout", 3600.5, "at most 3600, got 3600.5"),
        ("retry_deadline", float("nan"), "retry_deadline must be a number of seconds from 0 to 86400, got nan"),
        ("retry_deadline", float("-inf"), "retry_deadline must be a number of seconds from 0 to 86400, got -inf"),
        ("retry_deadline", 86401.0, "got 86401.0"),
        ("retries", 101, "retries must be 0 to 100, got 101"),
        ("retries", -1, "retries must be 0 to 100, got -1"),
    ],
)
def test_numeric_options_must_be_finite_and_in_range(option, value, rule):
    errors = connection_errors({**PARAMS, option: value})
    assert len(errors) == 1 and rule in errors[0]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("timeout", 3600.0),
        ("timeout", 0.001),
        ("retry_deadline", 0.0),
        ("retry_deadline", 86400.0),
        ("retries", 0),
        ("retries", 100),
    ],
)
def test_the_bounds_themselves_are_in_range(option, value):
    assert connection_errors({**PARAMS, option: value}) == []


def test_an_access_token_that_is_not_ascii_is_refused_without_being_shown():
    errors = credential_errors({**PARAMS, "access_token": "t\u00f6ken-\u20ac"})
    assert errors == [
        "access_token must be ASCII: it goes in an HTTP header, which takes no other characters (a token never has them)"
    ]


@pytest.mark.parametrize(
    "url", ["https://api.test:99999/api/v0", "https://api.test:port/api/v0", "https://api.test:-1/api/v0"]
)
def test_a_base_url_port_that_is_no_port_is_refused(url):
    assert base_url_errors(url) == [
        f"base_url has no valid port (a number from 0 to 65535 after the host), got {url!r}"
    ]


def test_a_base_url_with_credentials_and_a_bad_port_never_shows_the_password():
    (error,) = base_url_errors("https://user:pass-4715@api.test:port/api/v0")
    assert "pass-4715" not in error and "user information" in error


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_variable_that_names_no_file_is_named(monkeypatch, variable):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv(variable, "/nowhere/bundle.pem")
    (error,) = environment_errors(PARAMS)
    assert error.startswith(f"the environment variable {variable} names /nowhere/bundle.pem")
    # ca_path, or no verification, and requests does not read it.
    assert environment_errors({**PARAMS, "ca_path": "/some/ca.pem"}) == []
    assert environment_errors({**PARAMS, "validate_certs": False}) == []


@pytest.mark.parametrize(
    ("proxy", "problem"),
    [
        ("http://user:pass-4716@", "it names no host"),
        ("http://[bad", "it is not a valid URL"),
        ("ftp://user:pass-4716@proxy.test:21", "its scheme is 'ftp'"),
        ("http://proxy.test:99999", "it is not a valid URL"),
    ],
)
def test_a_proxy_that_requests_cannot_use_is_named_never_shown(monkeypatch, proxy, problem):
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    (error,) = environment_errors({**PARAMS, "validate_certs": False})
    assert (
        error.startswith("the proxy for base_url comes from HTTPS_PROXY, which requests cannot use: ")
        and problem in error
    )
    assert "pass-4716" not in error and "proxy.test" not in error


def test_a_proxy_excluded_by_no_proxy_is_not_checked(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://[bad")
    monkeypatch.setenv("NO_PROXY", "api.test")
    assert environment_errors({**PARAMS, "validate_certs": False}) == []


def test_many_errors_make_a_message_of_the_first_ten_and_the_count():
    errors = [f"error {number}" for number in range(10000)]
    message = error_list(errors)
    assert message == "10000 errors, the first 10 of them: " + "; ".join(errors[:10]) + "; and 9990 more"
    assert error_list(errors[:10]) == "; ".join(errors[:10])


def test_a_long_value_is_quoted_by_its_beginning_and_length():
    (error,) = name_errors("name", "x" * 100000)
    assert error.endswith(f"got {'x' * 60!r}... (100000 characters)") and len(error) < 200
    assert name_errors("name", "Bad") == [
        "name must match ^[a-z0-9-]{3,30}$ (3 to 30 lowercase letters, digits or hyphens), got 'Bad'"
    ]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://127.0.0.1:9/api/v0?token=query-token-4717", "https://127.0.0.1:9/api/v0?..."),
        ("https://user:pass-4717@api.test:9/api/v0#frag", "https://...@api.test:9/api/v0?..."),
        ("https://api.test/api/v0", "https://api.test/api/v0"),
    ],
)
def test_base_url_is_shown_without_what_may_hold_a_credential(url, shown):
    assert shown_base_url(url) == shown
