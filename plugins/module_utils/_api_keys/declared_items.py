# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options of one item of a fleet, and their check for the items of ``api_keys_file`` (internal, not a public API).

``api_keys`` items are checked by ansible-core against ``ITEM_OPTIONS``. The items of ``api_keys_file`` reach the module
as a JSON file that the action plugin wrote, not as an option: at 10,000 items, carrying them in the module's
arguments, checking their suboptions and echoing them back cost more than the fleet's run. ``checked_items`` takes an
item that ansible-core would take as it is in microseconds, and leaves any other to ansible-core's own check of the
same spec; every message names the item. A unit test holds it to ansible-core's verdict on the same items.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.validation import check_type_dict

from .. import _messages as messages

# The file that the action plugin writes in the task's temporary directory; any other path is not its hand-over.
HANDED_OVER_NAME = "fiskaly_api_keys.json"

KEY_OPTIONS: dict[str, dict[str, Any]] = {
    "id": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "enabled", "disabled", "absent"]},
    "kind": {"type": "str", "choices": ["test", "live"]},
    "metadata": {"type": "dict"},
}
ITEM_OPTIONS: dict[str, dict[str, Any]] = {**KEY_OPTIONS, "name": {"type": "str", "required": True}}


def checked_items(items: object, option: str = "api_keys") -> tuple[list[dict[str, Any]], list[str]]:
    """The items with every option of ``ITEM_OPTIONS`` set (None where not given, values converted as ansible-core
    converts them), and every rule they break, each message naming the item as ``option[N]``."""
    if not isinstance(items, list):
        return [], [messages.items_not_a_list(option, items)]
    checked: list[dict[str, Any]] = []
    errors: list[str] = []
    for index, given in enumerate(items):
        label = f"{option}[{index}]"
        item = as_mapping(given)
        if item is None:
            errors.append(messages.item_not_a_mapping(label, given))
            continue
        unknown = [name for name in item if name not in ITEM_OPTIONS]
        if unknown:
            errors.append(messages.unsupported_item_options(label, unknown, sorted(ITEM_OPTIONS)))
        elif is_plain(item):
            checked.append({name: item.get(name) for name in ITEM_OPTIONS})
        else:
            # Anything ansible-core would convert or refuse (None, numbers, a choice not offered...) is left to its own
            # check, whose verdict and conversions differ between its versions; its messages say "found in api_keys[N]".
            result = ArgumentSpecValidator({label: {"type": "dict", "options": ITEM_OPTIONS}}).validate({label: item})
            errors += result.error_messages
            checked.append(result.validated_parameters[label])
    return checked, errors


def is_plain(item: dict) -> bool:
    """Whether ansible-core's check would take the item as it is: a string name, each option a string among its
    choices or, for a dict option, a mapping."""
    if not isinstance(item.get("name"), str):
        return False
    for name, value in item.items():
        spec = ITEM_OPTIONS[name]
        if spec["type"] == "dict":
            if not isinstance(value, dict):
                return False
        elif not isinstance(value, str) or value not in spec.get("choices", (value,)):
            return False
    return True


def as_mapping(item: object) -> dict | None:
    """The item as a mapping: itself, or a string of JSON or key=value read as ansible-core reads one; else None."""
    if isinstance(item, str):
        try:
            return check_type_dict(item)
        except TypeError:
            return None
    return item if isinstance(item, dict) else None


def read_items(path: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The checked items of the JSON file that the action plugin wrote for ``api_keys_file``."""
    if os.path.basename(path) != HANDED_OVER_NAME:  # the module ran without its action plugin
        return [], [messages.api_keys_file_not_handed_over(path, "not the file the action plugin writes")]
    try:
        with open(path, encoding="utf-8") as handed_over:
            items = json.load(handed_over)
    except (OSError, ValueError) as error:
        return [], [messages.api_keys_file_not_handed_over(path, str(error))]
    return checked_items(items)
