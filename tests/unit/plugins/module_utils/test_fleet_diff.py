# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The diff of a fleet as a person reads it: one line per changed key, under a heading per action that counts them."""

from __future__ import annotations

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.fleet_diff import (
    ACTION_ORDER,
    fleet_diff_lines,
)
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.plans import UNDECLARED, DesiredKey, Plan
from ansible_collections.fiskaly.management.plugins.module_utils._http.routes import ManagementApi012

API_012 = ManagementApi012("org-1")


def existing(name: str, status: str = "enabled", metadata: dict | None = None) -> dict:
    return {"name": name, "kind": "live", "status": status, "metadata": metadata or {}}


def existing_012(name: str, key_id: str, status: str = "enabled", metadata: dict | None = None) -> dict:
    return {"name": name, "_id": key_id, "status": status, "metadata": metadata or {}, "_envs": ["LIVE"]}


def lines(plans: list[Plan]) -> list[str]:
    diff = fleet_diff_lines(plans)
    assert set(diff) == {"prepared"} and diff["prepared"].endswith("\n")
    return diff["prepared"].splitlines()


def test_one_line_per_changed_key_grouped_in_action_order_with_counts():
    plans = [
        Plan(DesiredKey("pos-3", "disabled"), [existing("pos-3")]),
        Plan(DesiredKey("pos-1", kind="test"), []),
        Plan(DesiredKey("pos-9"), [existing("pos-9")]),  # unchanged: no line
        Plan(DesiredKey("pos-2", "enabled"), [existing("pos-2", "disabled")]),
        Plan(DesiredKey("pos-4", kind="live"), []),
    ]
    assert lines(plans) == [
        "create (2 API keys):",
        '  + pos-1: kind "test", status "enabled"',
        '  + pos-4: kind "live", status "enabled"',
        "enable (1 API key):",
        '  ~ pos-2: status "disabled" -> "enabled"',
        "disable (1 API key):",
        '  ~ pos-3: status "enabled" -> "disabled"',
    ]
    assert ACTION_ORDER == ("create", "update", "enable", "disable", "delete")


def test_every_action_in_order_with_its_line_shape_and_the_id_on_012():
    plans = [
        Plan(DesiredKey("gone", "absent", key_id="id-5"), [existing_012("gone", "id-5", "disabled")], API_012),
        Plan(DesiredKey("off", "disabled"), [existing_012("off", "id-4")], API_012),
        Plan(DesiredKey("new", metadata={"store": "b"}), [], API_012),
        Plan(
            DesiredKey("meta", metadata={"store": "c"}),
            [existing_012("meta", "id-2", metadata={"store": "b"})],
            API_012,
        ),
        Plan(DesiredKey("on", "enabled"), [existing_012("on", "id-3", "disabled")], API_012),
    ]
    assert lines(plans) == [
        "create (1 API key):",
        '  + new: status "enabled", metadata {"store": "b"}',
        "update (1 API key):",
        '  ~ meta (_id id-2): metadata {"store": "b"} -> {"store": "c"}',
        "enable (1 API key):",
        '  ~ on (_id id-3): status "disabled" -> "enabled"',
        "disable (1 API key):",
        '  ~ off (_id id-4): status "enabled" -> "disabled"',
        "delete (1 API key):",
        '  - gone (_id id-5): status was "disabled"',
    ]


def test_undeclared_keys_are_marked():
    plans = [
        Plan(DesiredKey("store-a-7", "disabled", declared_as=UNDECLARED), [existing("store-a-7")]),
        Plan(
            DesiredKey("store-a-8", "absent", declared_as=UNDECLARED, key_id="id-8"),
            [existing_012("store-a-8", "id-8")],
            API_012,
        ),
    ]
    assert lines(plans) == [
        "disable (1 API key):",
        '  ~ store-a-7, undeclared: status "enabled" -> "disabled"',
        "delete (1 API key):",
        '  - store-a-8 (_id id-8), undeclared: status was "enabled"',
    ]


def test_one_line_each_however_many_fields_change():
    plan = Plan(
        DesiredKey("both", "disabled", metadata={"store": "c"}),
        [existing_012("both", "id-1", metadata={"store": "b"})],
        API_012,
    )
    assert lines([plan]) == [
        "update (1 API key):",
        '  ~ both (_id id-1): status "enabled" -> "disabled", metadata {"store": "b"} -> {"store": "c"}',
    ]


def test_nothing_changed_is_no_diff():
    assert fleet_diff_lines([]) == {}
    assert fleet_diff_lines([Plan(DesiredKey("pos-1"), [existing("pos-1")])]) == {}
