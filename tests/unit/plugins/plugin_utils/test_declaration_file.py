# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""api_keys_file, read on the controller by the action plugin: a list of keys, or a mapping whose only key is api_keys;
any other shape, or no file, fails with a message that names the option; the items reach the module as they are (the
module checks each one). ansible-core's own loader reads the files; where they are looked for is faked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader

from ansible_collections.fiskaly.management.plugins.plugin_utils._declaration_file import declared_items, module_json

KEYS = [
    {"name": "pos-1", "kind": "live", "metadata": {"store": "b"}},
    {"name": "pos-2", "state": "disabled", "unknown_option": 1},  # not checked here: the module names the item
    "not a mapping",
]


class Found:
    """What the action plugin passes: a look-up in one directory only (its _find_needle), and ansible-core's loader."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.looked_in: list[str] = []

    def find(self, dirname, needle):
        self.looked_in.append(dirname)
        path = self.directory / needle
        if not path.exists():
            raise AnsibleError(f"Could not find or access '{needle}'")
        return str(path)

    def declared_items(self, path, module_args: dict):
        return declared_items(path, module_args, self.find, DataLoader().load_from_file)


def declaration(tmp_path: Path, name: str, text: str, module_args: dict | None = None):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return Found(tmp_path).declared_items(name, module_args or {})


def test_a_yaml_list(tmp_path):
    text = "- name: pos-1\n  kind: live\n  metadata:\n    store: b\n- name: pos-2\n  state: disabled\n  unknown_option: 1\n- not a mapping\n"
    assert declaration(tmp_path, "fleet.yml", text) == (KEYS, None)


def test_a_json_list(tmp_path):
    assert declaration(tmp_path, "fleet.json", json.dumps(KEYS)) == (KEYS, None)


def test_a_mapping_whose_only_key_is_api_keys(tmp_path):
    assert declaration(tmp_path, "fleet.json", json.dumps({"api_keys": KEYS})) == (KEYS, None)


def test_an_empty_list_is_a_declaration(tmp_path):
    assert declaration(tmp_path, "fleet.json", "[]") == ([], None)


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        (json.dumps({"api_keys": KEYS, "other": 1}), "mapping"),
        (json.dumps({"fleet": KEYS}), "mapping"),
        (json.dumps({"api_keys": {"name": "pos-1"}}), "mapping"),
        ('"pos-1"', "string"),
        ("42", "number"),
    ],
)
def test_any_other_shape_is_refused(tmp_path, text, shape):
    items, problem = declaration(tmp_path, "fleet.json", text)
    assert items is None
    assert problem.startswith(f"api_keys_file {tmp_path / 'fleet.json'} must hold a list of keys, or a mapping")
    # Named by its plain type, also where ansible-core 2.19 and later load tagged values (_AnsibleTaggedDict...).
    assert problem.endswith(f"it holds a {shape}")


def test_an_empty_file_is_refused(tmp_path):
    items, problem = declaration(tmp_path, "fleet.yml", "")
    assert items is None and problem.endswith("it holds null (an empty file?)")


def test_a_missing_file_is_named_after_looking_where_vars_files_and_files_are(tmp_path):
    found = Found(tmp_path)
    items, problem = found.declared_items("absent.yml", {})
    assert items is None and found.looked_in == ["vars", "files"]
    assert problem.startswith("api_keys_file absent.yml was not found on the controller: ")


def test_a_file_that_is_neither_yaml_nor_json_is_named(tmp_path):
    items, problem = declaration(tmp_path, "fleet.yml", "- name: [unclosed\n")
    assert items is None and problem.startswith(f"api_keys_file {tmp_path / 'fleet.yml'} is not YAML or JSON: ")


@pytest.mark.parametrize("path", ["", None, 3, ["fleet.yml"]])
def test_the_path_must_be_a_string(tmp_path, path):
    items, problem = Found(tmp_path).declared_items(path, {})
    assert items is None
    assert problem == f"api_keys_file must be the path of a file on the controller, got {path!r}"


def test_api_keys_and_api_keys_file_are_mutually_exclusive(tmp_path):
    items, problem = declaration(tmp_path, "fleet.json", "[]", {"api_keys": []})
    assert items is None and problem == "parameters are mutually exclusive: api_keys_file|api_keys"


def test_the_items_are_handed_over_as_json_converted_as_module_arguments_are(tmp_path):
    items, problem = declaration(tmp_path, "fleet.yml", "- name: pos-1\n  metadata:\n    opened: 2024-05-01\n")
    assert problem is None
    content, problem = module_json("fleet.yml", items)
    assert problem is None
    assert json.loads(content) == [{"name": "pos-1", "metadata": {"opened": "2024-05-01"}}]


def test_a_value_no_module_can_receive_is_refused_naming_the_file(tmp_path):
    items, problem = declaration(tmp_path, "fleet.yml", "- name: pos-1\n  metadata:\n    logo: !!binary aGVsbG8=\n")
    assert problem is None
    content, problem = module_json("fleet.yml", items)
    assert content is None
    assert problem.startswith(
        "api_keys_file fleet.yml holds a value that a module cannot receive (binary data, a set?)"
    )
