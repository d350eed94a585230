# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a plan decides for one key, given what exists: pure decisions, no I/O."""

from __future__ import annotations

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.plans import DesiredKey, Plan

EXISTING = {
    "name": "pos-1",
    "kind": "live",
    "status": "enabled",
    "metadata": {"store": "b"},
    "_id": "id-1",
    "_type": "API_KEY",
}


@pytest.mark.parametrize(
    ("state", "status", "action"),
    [
        ("present", "enabled", "none"),
        ("present", "disabled", "none"),
        ("enabled", "enabled", "none"),
        ("enabled", "disabled", "enable"),
        ("disabled", "enabled", "disable"),
        ("disabled", "disabled", "none"),
    ],
)
def test_every_state_transition_of_an_existing_key(state, status, action):
    plan = Plan(DesiredKey("pos-1", state), [{**EXISTING, "status": status}])
    assert plan.action == action
    assert plan.changed is (action != "none")
    assert plan.predicted()["status"] == (status if state == "present" else state)


@pytest.mark.parametrize(
    ("state", "status"), [("present", "enabled"), ("enabled", "enabled"), ("disabled", "disabled")]
)
def test_a_missing_key_is_created_with_the_wanted_status(state, status):
    plan = Plan(DesiredKey("pos-1", state, "test", {"a": "b"}), [])
    assert plan.action == "create"
    assert plan.predicted() == {"name": "pos-1", "kind": "test", "status": status, "metadata": {"a": "b"}}
    assert plan.errors() == []


def test_creating_needs_a_kind():
    assert Plan(DesiredKey("pos-1"), []).errors() == [
        "API key 'pos-1' does not exist, and kind is required to create it"
    ]
    assert Plan(DesiredKey("pos-1", declared_as="api_keys[4]"), []).errors() == [
        "API key 'pos-1' (api_keys[4]) does not exist, and kind is required to create it"
    ]


def test_kind_drift_names_the_field_and_both_values():
    (error,) = Plan(DesiredKey("pos-1", kind="test"), [EXISTING]).errors()
    assert (
        error
        == "API key 'pos-1' exists with kind 'live', but kind 'test' is wanted: the API cannot change the kind of a key"
    )


def test_metadata_drift_names_the_field_and_both_values():
    (error,) = Plan(DesiredKey("pos-1", metadata={"store": "c"}), [EXISTING]).errors()
    assert "exists with metadata {'store': 'b'}, but metadata {'store': 'c'} is wanted" in error


def test_unset_kind_and_metadata_are_not_compared():
    assert Plan(DesiredKey("pos-1", "disabled"), [EXISTING]).errors() == []
    assert Plan(DesiredKey("pos-1", kind="live", metadata={"store": "b"}), [EXISTING]).errors() == []


def test_empty_metadata_matches_a_key_without_metadata():
    assert Plan(DesiredKey("pos-1", metadata={}), [{**EXISTING, "metadata": None}]).errors() == []


def test_the_diff_shows_the_key_before_and_after_but_no_secret_nor_ids():
    diff = Plan(DesiredKey("pos-1", "disabled"), [{**EXISTING, "secret": "never"}]).diff()
    assert diff["before"] == {"name": "pos-1", "kind": "live", "status": "enabled", "metadata": {"store": "b"}}
    assert diff["after"] == {**diff["before"], "status": "disabled"}
    assert "never" not in repr(diff) and "id-1" not in repr(diff)


def test_the_diff_of_a_create_starts_empty():
    diff = Plan(DesiredKey("pos-1", "present", "test"), []).diff()
    assert diff["before"] == {} and diff["after"]["status"] == "enabled"
