# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: GET /api_keys paging, ordering, filters and query validation."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

from typing import Any

import pytest
import requests

from fiskaly_emulator import Emulator


def list_keys(emu: Emulator, query: str = "", token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or emu.issue_token()}"}
    return requests.get(f"{emu.base_url}/api_keys{query}", headers=headers, verify=emu.ca_path, timeout=10)


def names(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [key["name"] for key in response.json()["data"]]


@pytest.fixture
def fleet(emulator: Emulator) -> Emulator:
    # Creation order differs from name order on purpose.
    emulator.seed_keys(
        [
            {"name": "kiosk-3", "kind": "live", "status": "enabled"},
            {"name": "kiosk-1", "kind": "test", "status": "disabled", "metadata": {"site": "a"}},
            {"name": "kiosk-2", "kind": "live", "status": "disabled"},
            {"name": "kiosk-5", "kind": "test", "status": "enabled"},
            {"name": "kiosk-4", "kind": "live", "status": "enabled"},
        ]
    )
    return emulator


def test_list_object_shape(fleet: Emulator) -> None:
    body = list_keys(fleet).json()
    assert set(body) == {"data", "count", "_type"} and body["_type"] == "API_KEY_LIST" and body["count"] == 5
    assert body["data"][1] == fleet.keys()["kiosk-1"] and "secret" not in body["data"][0]


def test_empty_list(emulator: Emulator) -> None:
    assert list_keys(emulator).json() == {"data": [], "count": 0, "_type": "API_KEY_LIST"}


def test_default_is_creation_order(fleet: Emulator) -> None:
    assert names(list_keys(fleet)) == ["kiosk-3", "kiosk-1", "kiosk-2", "kiosk-5", "kiosk-4"]
    assert names(list_keys(fleet, "?order=desc")) == ["kiosk-4", "kiosk-5", "kiosk-2", "kiosk-1", "kiosk-3"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?order_by=name", ["kiosk-1", "kiosk-2", "kiosk-3", "kiosk-4", "kiosk-5"]),
        ("?order_by=name&order=asc", ["kiosk-1", "kiosk-2", "kiosk-3", "kiosk-4", "kiosk-5"]),
        ("?order_by=name&order=desc", ["kiosk-5", "kiosk-4", "kiosk-3", "kiosk-2", "kiosk-1"]),
        ("?order_by=kind", ["kiosk-2", "kiosk-3", "kiosk-4", "kiosk-1", "kiosk-5"]),
        ("?order_by=kind&order=desc", ["kiosk-5", "kiosk-1", "kiosk-4", "kiosk-3", "kiosk-2"]),
        ("?order_by=status", ["kiosk-1", "kiosk-2", "kiosk-3", "kiosk-4", "kiosk-5"]),
        ("?order_by=status&order=desc", ["kiosk-5", "kiosk-4", "kiosk-3", "kiosk-2", "kiosk-1"]),
    ],
)
def test_ordering_with_name_tie_break(fleet: Emulator, query: str, expected: list[str]) -> None:
    assert names(list_keys(fleet, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected", "count"),
    [
        ("?kind=test", ["kiosk-1", "kiosk-5"], 2),
        ("?kind=live", ["kiosk-3", "kiosk-2", "kiosk-4"], 3),
        ("?kind=test&kind=live", ["kiosk-3", "kiosk-1", "kiosk-2", "kiosk-5", "kiosk-4"], 5),
        ("?status=disabled", ["kiosk-1", "kiosk-2"], 2),
        ("?status=enabled&status=disabled&order_by=name&limit=2", ["kiosk-1", "kiosk-2"], 5),
        ("?kind=live&status=enabled", ["kiosk-3", "kiosk-4"], 2),
        ("?kind=live&status=enabled&offset=1", ["kiosk-4"], 2),
        ("?kind=test&status=enabled&order_by=name&order=desc", ["kiosk-5"], 1),
    ],
)
def test_filters_and_count(fleet: Emulator, query: str, expected: list[str], count: int) -> None:
    response = list_keys(fleet, query)
    assert names(response) == expected and response.json()["count"] == count


def test_paging_walks_every_key_once(emulator: Emulator) -> None:
    emulator.seed_keys(
        [{"name": f"pos-{i:03d}", "kind": "live" if i % 3 else "test", "status": "enabled"} for i in range(250)]
    )
    token = emulator.issue_token()
    for order_by in ("", "&order_by=kind", "&order_by=name&order=desc"):
        seen: list[str] = []
        offset = 0
        while True:
            response = list_keys(emulator, f"?limit=100&offset={offset}{order_by}", token)
            page = names(response)
            assert response.json()["count"] == 250
            seen.extend(page)
            if len(page) < 100:
                break
            offset += 100
        assert len(seen) == 250 and len(set(seen)) == 250
    assert len(names(list_keys(emulator, "", token))) == 100
    assert (
        names(list_keys(emulator, "?offset=1000", token)) == []
        and list_keys(emulator, "?offset=1000", token).json()["count"] == 250
    )


@pytest.mark.parametrize(("limit", "size"), [("1", 1), ("3", 3), ("100", 5), ("005", 5)])
def test_limit(fleet: Emulator, limit: str, size: int) -> None:
    assert len(names(list_keys(fleet, f"?limit={limit}"))) == size


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=101",
        "?limit=-1",
        "?limit=abc",
        "?limit=",
        "?limit=1.5",
        "?limit=+5",
        "?limit=%205",
        "?limit=1&limit=2",
        "?offset=-1",
        "?offset=x",
        "?offset=",
        "?offset=1&offset=2",
        "?order_by=created",
        "?order_by=",
        "?order_by=NAME",
        "?order_by=name&order_by=kind",
        "?order=up",
        "?order=",
        "?order=ASC",
        "?order=asc&order=desc",
        "?kind=prod",
        "?kind=",
        "?kind=test&kind=test",
        "?status=on",
        "?status=enabled&status=enabled",
        "?page=2",
        "?name=abc",
        "?Limit=5",
    ],
)
def test_bad_query(fleet: Emulator, query: str) -> None:
    response = list_keys(fleet, query)
    body = response.json()
    assert (
        response.status_code == 400
        and body["code"] == "E_INVALID_QUERY"
        and set(body) == {"status_code", "error", "code", "message"}
    )


def test_query_messages_do_not_echo_values(fleet: Emulator) -> None:
    response = list_keys(fleet, "?kind=s3cr3t-echo&x-s3cr3t-echo=1")
    assert response.status_code == 400 and "s3cr3t-echo" not in response.text


def test_list_requires_token(fleet: Emulator) -> None:
    response = requests.get(f"{fleet.base_url}/api_keys", verify=fleet.ca_path, timeout=10)
    assert response.status_code == 401 and response.json()["code"] == "E_UNAUTHORIZED"


def test_auth_is_checked_before_query(fleet: Emulator) -> None:
    response = requests.get(f"{fleet.base_url}/api_keys?limit=1000", verify=fleet.ca_path, timeout=10)
    assert response.status_code == 401


def test_list_is_logged_with_query(fleet: Emulator) -> None:
    list_keys(fleet, "?kind=test&kind=live&order_by=name&limit=2")
    entry: dict[str, Any] = fleet.requests()[-1]
    assert entry["path"] == "/api_keys" and entry["query"] == {
        "kind": ["test", "live"],
        "order_by": ["name"],
        "limit": ["2"],
    }
