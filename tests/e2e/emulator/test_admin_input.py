# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: every admin input is checked whole and refused with a 400 that names the field, changing nothing."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from fiskaly_emulator import Emulator
from fiskaly_emulator.admin import ENDPOINTS

FAULTS = {"method": "GET", "path": "/api_keys"}


def admin(emu: Emulator, method: str, name: str, body: str | None = None, **kwargs: Any) -> requests.Response:
    root = emu.base_url[: -len("/api/v0")]
    return requests.request(method, f"{root}/_emulator/{name}", data=body, verify=emu.ca_path, timeout=10, **kwargs)


def strict_json(response: requests.Response) -> Any:
    """The answer as JSON proper: NaN and Infinity are not JSON."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in an answer: {response.text}")

    return json.loads(response.text, parse_constant=refuse)


def assert_refused(response: requests.Response, *named: str) -> str:
    body = strict_json(response)
    assert response.status_code == 400, response.text
    assert set(body) == {"status_code", "error", "code", "message"} and body["code"] in (
        "E_VALIDATION",
        "E_INVALID_QUERY",
    )
    for name in named:
        assert name in body["message"], body["message"]
    return body["message"]


def still_serves(emu: Emulator) -> None:
    # Over a fresh connection and the old one alike: no dropped connection, no broken state.
    answer = requests.get(
        emu.base_url + "/api_keys",
        headers={"Authorization": f"Bearer {emu.issue_token()}"},
        verify=emu.ca_path,
        timeout=10,
    )
    assert answer.status_code == 200
    assert strict_json(admin(emu, "GET", "faults")) == {"faults": []}


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        ('{"delay": NaN}', "faults[1].delay"),
        ('{"delay": Infinity}', "faults[1].delay"),
        ('{"delay": -Infinity}', "faults[1].delay"),
        ('{"delay": 1e400}', "faults[1].delay"),
        ('{"status": 503, "retry_after": 1e400}', "faults[1].retry_after"),
        ('{"status": 503, "retry_after": NaN}', "faults[1].retry_after"),
        ('{"status": 503, "retry_after": 0.4}', "retry_after_raw"),
        ('{"status": 503, "retry_after": 86401}', "retry_after"),
        ('{"trickle": NaN}', "faults[1].trickle"),
        ('{"status": 503, "body": {"count": NaN}}', "faults[1].body.count"),
        ('{"status": 503, "body": [1, 2, 1e999]}', "faults[1].body[2]"),
    ],
)
def test_a_number_that_is_no_finite_json_number_or_no_retry_after_is_refused(
    emulator: Emulator, fault: str, named: str
) -> None:
    body = f'{{"method": "GET", "path": "/api_keys", "faults": [{{"status": 500}}, {fault}]}}'
    assert_refused(admin(emulator, "POST", "faults", body), named)
    still_serves(emulator)


@pytest.mark.parametrize(
    "fault",
    [{"delay": float("nan")}, {"status": 503, "retry_after": float("inf")}, {"status": 503, "body": float("nan")}],
)
def test_the_python_api_refuses_the_same(emulator: Emulator, fault: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"faults\[0\]"):
        emulator.inject("GET", "/api_keys", [fault])
    still_serves(emulator)


def test_retry_after_is_sent_as_whole_seconds_and_a_fraction_only_raw(emulator: Emulator) -> None:
    faults = [{"status": 429, "retry_after": 3}, {"status": 429, "retry_after_raw": "0.4"}]
    assert admin(emulator, "POST", "faults", json.dumps({**FAULTS, "faults": faults})).status_code == 200
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    answers = [
        requests.get(emulator.base_url + "/api_keys", headers=headers, verify=emulator.ca_path, timeout=10)
        for _fault in faults
    ]
    assert [answer.headers["Retry-After"] for answer in answers] == ["3", "0.4"]


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"method": "FETCH", "path": "/api_keys"}, "'method'"),
        ({"method": "", "path": "/api_keys"}, "'method'"),
        ({"method": 1, "path": "/api_keys"}, "'method'"),
        ({"method": "GET", "path": "/api/v0/api_keys"}, "'path'"),
        ({"method": "GET", "path": "/api_keys?limit=1"}, "'path'"),
        ({"method": "GET", "path": "/api_*keys"}, "'path'"),
        ({"method": "GET", "path": "/api_keys /x"}, "'path'"),
        ({"method": "GET", "path": "api_keys"}, "'path'"),
    ],
)
def test_a_fault_that_no_request_could_ever_consume_is_refused(
    emulator: Emulator, spec: dict[str, Any], named: str
) -> None:
    assert_refused(admin(emulator, "POST", "faults", json.dumps({**spec, "faults": [{"status": 503}]})), named)
    assert emulator.pending_faults() == []


def test_every_method_the_server_answers_and_any_are_taken(emulator: Emulator) -> None:
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*", "get"):
        assert (
            admin(
                emulator,
                "POST",
                "faults",
                json.dumps({"method": method, "path": "/api_keys/*", "faults": [{"status": 503}]}),
            ).status_code
            == 200
        )
    assert {fault["method"] for fault in emulator.pending_faults()} == {
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "HEAD",
        "OPTIONS",
        "*",
    }


@pytest.mark.parametrize(
    "options", [{"access": "no"}, {"access": 0}, {"refresh": "true"}, {"refresh": None}, {"refresh": 1}]
)
def test_expire_tokens_takes_booleans_only(emulator: Emulator, options: dict[str, Any]) -> None:
    token = emulator.issue_token()
    assert_refused(admin(emulator, "POST", "expire-tokens", json.dumps(options)), f"'{next(iter(options))}'")
    answer = requests.get(
        emulator.base_url + "/api_keys",
        headers={"Authorization": f"Bearer {token}"},
        verify=emulator.ca_path,
        timeout=10,
    )
    assert answer.status_code == 200  # nothing expired


@pytest.mark.parametrize(
    ("method", "name", "params", "body", "named"),
    [
        ("POST", "reset", None, '{"access_token_ttl": 1e400}', "access_token_ttl"),
        ("POST", "reset", None, '{"refresh_token_ttl": 1000000000000}', "refresh_token_ttl"),
        ("POST", "reset", None, '{"access_token_ttl": 5, "refresh_token_ttl": "5"}', "refresh_token_ttl"),
        ("POST", "reset", None, '{"access_ttl": 5}', "access_ttl"),
        ("POST", "keys", None, '{"keys": [], "extra": 1}', "extra"),
        ("POST", "keys", None, '{"key": []}', "key"),
        (
            "POST",
            "keys",
            None,
            '[{"name": "seeded-ok", "kind": "test", "status": "enabled"}, {"name": "seeded-x", "kind": "prod", "status": "enabled"}]',
            'seed record 1 ("seeded-x")',
        ),
        ("GET", "requests", {"method": "FETCH"}, None, "'method'"),
        ("GET", "requests", {"method": ["GET", "PUT"]}, None, "'method'"),
        ("GET", "requests", {"path_prefix": "api_keys"}, None, "'path_prefix'"),
        ("GET", "requests", {"path": "/api_keys"}, None, '"path"'),
        ("DELETE", "requests", None, '{"all": true}', "takes no body"),
        ("GET", "stats", {"reset": "1"}, None, '"reset"'),
        ("GET", "keys", None, "[]", "takes no body"),
        ("GET", "minted", {"since": "-1"}, None, "'since'"),
        ("GET", "minted", {"since": ["0", "1"]}, None, "'since'"),
        ("POST", "faults", None, '{"method": "GET", "path": "/api_keys"}', "'faults'"),
        (
            "POST",
            "faults",
            None,
            '{"method": "GET", "path": "/api_keys", "faults": [{"status": 503}], "times": 2}',
            "times",
        ),
        ("POST", "network", None, '{"latency": NaN}', "latency"),
        ("POST", "network", None, '{"latency": 1e400}', "latency"),
        ("POST", "network", None, '{"latency": 0.5, "rate_limit": 1.5}', "rate_limit"),
        ("POST", "network", None, '{"latency": 0.5, "burst": 5}', "burst"),
        ("POST", "network", None, "{}", "latency"),
    ],
)
def test_every_admin_endpoint_refuses_bad_input_naming_the_field_and_changes_nothing(
    emulator: Emulator, method: str, name: str, params: Any, body: str | None, named: str
) -> None:
    emulator.seed_keys([{"name": "kept", "kind": "test", "status": "enabled"}])
    emulator.inject("PUT", "/api_keys/*", [{"status": 503}])
    before = (
        emulator.keys(),
        emulator.pending_faults(),
        emulator.network_settings(),
        emulator.access_token_ttl,
        emulator.refresh_token_ttl,
    )
    assert_refused(admin(emulator, method, name, body, params=params), named)
    assert (
        emulator.keys(),
        emulator.pending_faults(),
        emulator.network_settings(),
        emulator.access_token_ttl,
        emulator.refresh_token_ttl,
    ) == before


@pytest.mark.parametrize(
    ("method", "name"), [(method, name) for name, methods in ENDPOINTS.items() for method in methods]
)
def test_every_admin_endpoint_refuses_what_it_does_not_take(emulator: Emulator, method: str, name: str) -> None:
    endpoint = ENDPOINTS[name][method]
    assert_refused(admin(emulator, method, name, params={"unknown_parameter": "1"}), "unknown_parameter")
    if endpoint.body:
        assert_refused(admin(emulator, method, name, '{"unknown_field": NaN}'), "unknown_field")
    else:
        assert_refused(admin(emulator, method, name, "{}"), "takes no body")


def test_every_admin_endpoint_is_in_the_guide_and_the_readme() -> None:
    root = Path(__file__).resolve().parents[3]
    guide = (root / "docs" / "docsite" / "rst" / "guide_emulator.rst").read_text(encoding="utf-8")
    readme = (root / "emulator" / "README.md").read_text(encoding="utf-8")
    for name, methods in ENDPOINTS.items():
        for method in methods:
            assert f"``{method} /_emulator/{name}``" in guide, f"{method} /_emulator/{name} is not in the guide's table"
        assert f" {name}`" in readme, f"/_emulator/{name} is not in emulator/README.md"
