# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The items of api_keys_file are checked by the collection's own loop, not by ansible-core's suboption check (which
costs a second at 10,000 items): that loop must pass and fail exactly the items ansible-core passes and fails for
api_keys, convert values as it does, and name the item in every message."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.declared_items import (
    ITEM_OPTIONS,
    checked_items,
    read_items,
)
from ansible_collections.fiskaly.management.plugins.modules.fiskaly_api_key import ARGUMENT_SPEC

ITEMS = [
    {"name": "pos-1"},
    {"name": "pos-1", "id": "k-1", "state": "disabled", "kind": "live", "metadata": {"store": "b"}},
    {"name": "pos-1", "state": None, "kind": None, "metadata": None, "id": None},
    {"name": None},
    {"name": 123},
    {"name": ["a", "b"]},
    {"name": {"nested": 1}},
    {"name": True},
    {"state": "enabled"},
    {},
    {"name": "pos-1", "colour": "red"},
    {"name": "pos-1", "state": "gone"},
    {"name": "pos-1", "state": ""},
    {"name": "pos-1", "state": "Enabled"},
    {"name": "pos-1", "state": 1},
    {"name": "pos-1", "kind": True},
    {"name": "pos-1", "kind": "live "},
    {"name": "pos-1", "id": 42},
    {"name": "pos-1", "metadata": "store=b"},
    {"name": "pos-1", "metadata": '{"store": "b"}'},
    {"name": "pos-1", "metadata": "no pairs here"},
    {"name": "pos-1", "metadata": 5},
    {"name": "pos-1", "metadata": ["store"]},
    {"name": "pos-1", "metadata": {"count": 3}},
    "name=pos-1",
    '{"name": "pos-1", "state": "disabled"}',
    "name=pos-1 colour=red",
]


@pytest.mark.parametrize("item", ITEMS, ids=[json.dumps(item) for item in ITEMS])
def test_an_item_passes_or_fails_as_ansible_core_checks_api_keys(item):
    core = ArgumentSpecValidator({"api_keys": ARGUMENT_SPEC["api_keys"]}).validate({"api_keys": [item]})
    items, errors = checked_items([item])
    assert bool(errors) == bool(core.error_messages), (errors, core.error_messages)
    if not errors:
        assert items == core.validated_parameters["api_keys"]


def test_the_module_checks_api_keys_against_the_same_options():
    assert ARGUMENT_SPEC["api_keys"]["options"] is ITEM_OPTIONS


def test_every_message_names_the_item_and_the_rule():
    items = [
        {"name": "pos-1"},
        {"name": "pos-2", "colour": "red", "size": 1},
        {"state": "enabled"},
        {"name": "pos-4", "state": "gone"},
        {"name": "pos-5", "metadata": "no pairs here"},
        7,
        "neither",
        None,
    ]
    errors = checked_items(items)[1]
    assert (
        errors[0]
        == "api_keys[1] has options a key does not take: colour, size (a key takes id, kind, metadata, name, state)"
    )
    # ansible-core's own words, which say the item as the context of the rule ("... found in api_keys[2]").
    assert errors[1] == "missing required arguments: name found in api_keys[2]"
    assert (
        errors[2] == "value of state must be one of: present, enabled, disabled, absent, got: gone found in api_keys[3]"
    )
    assert (
        errors[3].startswith("argument 'metadata' is of type str found in 'api_keys[4]'") or "api_keys[4]" in errors[3]
    )
    assert "dictionary requested" in errors[3]
    mapping_wanted = (
        "must be a mapping of that key's options (name or id, and optionally kind, state, metadata), such as "
        "{name: pos-01}; got"
    )
    assert errors[4:] == [
        f"api_keys[5] {mapping_wanted} a number",
        f"api_keys[6] {mapping_wanted} a string that is neither JSON nor key=value",
        f"api_keys[7] {mapping_wanted} null",
    ]


def test_not_a_list_is_refused():
    assert checked_items({"name": "pos-1"}) == ([], ["api_keys must be a list of keys, got a mapping"])


def test_the_items_are_read_from_the_json_file_the_action_plugin_wrote(tmp_path):
    path = tmp_path / "fiskaly_api_keys.json"
    path.write_text(json.dumps([{"name": "pos-1", "state": "disabled"}, "name=pos-2"]))
    items, errors = read_items(str(path))
    assert errors == []
    assert items == [
        {"id": None, "state": "disabled", "kind": None, "metadata": None, "name": "pos-1"},
        {"id": None, "state": None, "kind": None, "metadata": None, "name": "pos-2"},
    ]


@pytest.mark.parametrize("content", [None, "[{not json", ""])
def test_a_file_that_is_missing_or_not_json_says_the_action_plugin_was_bypassed(tmp_path, content):
    path = tmp_path / "fiskaly_api_keys.json"
    if content is not None:
        path.write_text(content)
    items, errors = read_items(str(path))
    assert items == []
    assert len(errors) == 1
    assert errors[0].startswith("api_keys_file is read on the controller by the action plugin")
    assert str(path) in errors[0]


def test_a_path_that_is_not_the_action_plugins_hand_over_is_refused(tmp_path):
    # The module run without its action plugin (api_keys_file is read on the controller): a JSON file of the user's on
    # the host that runs the module is not read in its place.
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps([{"name": "pos-1"}]))
    items, errors = read_items(str(path))
    assert items == []
    assert errors == [
        "api_keys_file is read on the controller by the action plugin fiskaly.management.fiskaly_api_key, which hands "
        f"the module its items as JSON; what reached the module ({path}) could not be read as such: not the file the "
        "action plugin writes"
    ]
