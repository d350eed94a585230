# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a fleet's declaration from a file on the controller (internal to this collection, not a public API).

A declaration of thousands of keys given as ``api_keys: "{{ fleet }}"`` is templated by ansible-core item by item,
which costs more than the run itself. Read here, once, as a vars file is (vault included), whatever ``delegate_to``
says, it reaches the module as ``api_keys`` without a template in between; the module checks each item, naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text

FILE_OPTION = "api_keys_file"
ITEMS_OPTION = "api_keys"
# What the file holds, by the plain type of its content (ansible-core 2.19 and later hand over tagged subclasses).
SHAPES = ((Mapping, "mapping"), (str, "string"), (bool, "boolean"), ((int, float), "number"))


def shape_of(value: object) -> str:
    if value is None:
        return "null (an empty file?)"
    return next((name for kind, name in SHAPES if isinstance(value, kind)), type(value).__name__)


def declared_items(
    path: object, args: Mapping[str, Any], find: Callable[[str, str], str], load: Callable[[str], Any]
) -> tuple[list | None, str | None]:
    """The items of the file at ``path`` (looked for by ``find`` in the ``vars`` then ``files`` directories, read by
    ``load``), or why there are none."""
    if not isinstance(path, str) or not path:
        return None, f"{FILE_OPTION} must be the path of a file on the controller, got {path!r}"
    if args.get(ITEMS_OPTION) is not None:
        return None, f"parameters are mutually exclusive: {FILE_OPTION}|{ITEMS_OPTION}"
    try:
        found = find("vars", path)
    except AnsibleError:
        try:
            found = find("files", path)
        except AnsibleError as error:
            return None, f"{FILE_OPTION} {path} was not found on the controller: {to_text(error.message)}"
    try:
        content = load(found)
    except AnsibleError as error:
        return None, f"{FILE_OPTION} {found} is not YAML or JSON: {to_text(error.message)}"
    if isinstance(content, Mapping) and set(content) == {ITEMS_OPTION}:
        content = content[ITEMS_OPTION]
    if not isinstance(content, list):
        return None, (
            f"{FILE_OPTION} {found} must hold a list of keys, or a mapping whose only key is {ITEMS_OPTION} and holds "
            f"that list; it holds a {shape_of(content)}"
        )
    return content, None
