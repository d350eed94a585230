# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: changes to the account made right after a given listing page is served (POST /_emulator/listing-changes)."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

from typing import Any

import pytest
import requests

from fiskaly_emulator import Emulator


def admin(emu: Emulator, method: str, **kwargs: Any) -> requests.Response:
    root = emu.base_url[: -len("/api/v0")]
    return requests.request(method, f"{root}/_emulator/listing-changes", verify=emu.ca_path, timeout=10, **kwargs)


def page(emu: Emulator, offset: int, limit: int = 2) -> tuple[list[str], int]:
    headers = {"Authorization": f"Bearer {emu.issue_token()}"}
    answer = requests.get(
        f"{emu.base_url}/api_keys?order_by=name&limit={limit}&offset={offset}",
        headers=headers,
        verify=emu.ca_path,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return [key["name"] for key in answer.json()["data"]], answer.json()["count"]


@pytest.fixture
def five(emulator: Emulator) -> Emulator:
    emulator.seed_keys([{"name": f"key-{number}", "kind": "test", "status": "enabled"} for number in range(1, 6)])
    return emulator


def test_a_change_is_made_right_after_its_page_is_served_and_only_once(five: Emulator) -> None:
    answer = admin(
        five,
        "POST",
        json={
            "after_offset": 2,
            "changes": [{"delete": ["key-1"], "create": [{"name": "key-0", "kind": "live", "status": "disabled"}]}],
        },
    )
    assert answer.status_code == 200 and answer.json() == {"queued": 1}
    assert admin(five, "GET").json()["listing_changes"][0]["after_offset"] == 2

    assert page(five, 0) == (["key-1", "key-2"], 5)  # another offset: nothing changes
    assert page(five, 2) == (["key-3", "key-4"], 5)  # served as it was, then changed
    assert page(five, 0) == (["key-0", "key-2"], 5)
    assert five.keys()["key-0"]["kind"] == "live" and "key-1" not in five.keys()
    assert page(five, 2) == (["key-3", "key-4"], 5)  # the change was taken: no second one
    assert admin(five, "GET").json() == {"listing_changes": []}


def test_each_serving_of_the_page_takes_the_next_change(five: Emulator) -> None:
    five.change_after_page(0, [{"delete": ["key-5"]}, {"delete": ["key-4"]}])
    assert [page(five, 0)[1] for _serving in range(3)] == [5, 4, 3]
    assert sorted(five.keys()) == ["key-1", "key-2", "key-3"]


def test_reset_drops_the_changes_not_made(five: Emulator) -> None:
    five.change_after_page(0, [{"delete": ["key-5"]}])
    five.reset()
    assert five.pending_listing_changes() == []


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ([], "listing-changes take an object"),
        ({"after_offset": 0}, "listing-changes take an object"),
        ({"after_offset": -1, "changes": [{"delete": ["key-1"]}]}, "after_offset must be an integer >= 0"),
        ({"after_offset": True, "changes": [{"delete": ["key-1"]}]}, "after_offset must be an integer >= 0"),
        ({"after_offset": 0, "changes": []}, "changes must be a non-empty list"),
        ({"after_offset": 0, "changes": [{"rename": []}]}, "changes[0] must be an object"),
        ({"after_offset": 0, "changes": [{"delete": "key-1"}]}, "changes[0]: 'create' and 'delete' must be lists"),
        ({"after_offset": 0, "changes": [{"delete": ["Bad_Name"]}]}, "changes[0].delete[0] is not a valid key name"),
        (
            {"after_offset": 0, "changes": [{"create": [{"name": "abc", "kind": "prod", "status": "enabled"}]}]},
            "changes[0].create[0]: ",
        ),
    ],
)
def test_a_bad_spec_is_refused_whole_naming_the_field(five: Emulator, spec: Any, fragment: str) -> None:
    answer = admin(five, "POST", json=spec)
    assert answer.status_code == 400 and fragment in answer.json()["message"], answer.text
    assert five.pending_listing_changes() == []
