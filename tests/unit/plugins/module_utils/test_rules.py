# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The local rules: each broken rule gives a message that names the option and the rule."""

from __future__ import annotations

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.plans import DesiredKey
from ansible_collections.fiskaly.management.plugins.module_utils._api_keys.rules import (
    desired_key_errors,
    metadata_errors,
    name_errors,
)


@pytest.mark.parametrize("name", ["abc", "pos-berlin-01", "a" * 30, "0-0"])
def test_good_names_pass(name):
    assert name_errors("name", name) == []


# A trailing line break (a value read from a file or a vault) must fail too: "$" alone would let it through.
@pytest.mark.parametrize(
    "name", ["ab", "a" * 31, "POS-1", "pos_1", "pos 1", "pös-1", "", None, "pos-1\n", "\npos-1", "pos-1\r\n"]
)
def test_bad_names_name_the_option_and_the_pattern(name):
    (error,) = name_errors("name", name)
    assert error.startswith("name must match ^[a-z0-9-]{3,30}$") and repr(name) in error


def test_metadata_within_the_limits_passes():
    assert metadata_errors("metadata", {f"p{i}": "v" * 500 for i in range(20)}) == []
    assert metadata_errors("metadata", {"n" * 40: "v"}) == []
    assert metadata_errors("metadata", None) == []


def test_metadata_limits_each_have_a_message():
    assert metadata_errors("metadata", {f"p{i}": "v" for i in range(21)}) == [
        "metadata may have at most 20 properties, got 21"
    ]
    assert metadata_errors("metadata", {"n" * 41: "v"}) == [
        f"metadata property names may be at most 40 characters, got 41 in {'n' * 41!r}"
    ]
    assert metadata_errors("metadata", {"store": "v" * 501}) == [
        "metadata.store may be at most 500 characters, got 501"
    ]
    assert metadata_errors("metadata", {"store": 12}) == ["metadata.store must be a string (quote it in YAML), got int"]


def test_fleet_errors_name_the_item_and_duplicates():
    keys = [
        DesiredKey("pos-1", declared_as="api_keys[0]"),
        DesiredKey("Bad", declared_as="api_keys[1]"),
        DesiredKey("pos-1", declared_as="api_keys[2]", metadata={"x": 1}),
    ]
    assert desired_key_errors(keys) == [
        "api_keys[1].name must match ^[a-z0-9-]{3,30}$ (3 to 30 lowercase letters, digits or hyphens), got 'Bad'",
        "api_keys[2].metadata.x must be a string (quote it in YAML), got int",
        "api_keys[2].name 'pos-1' is declared more than once in api_keys",
    ]
