# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a fleet's declaration from a file on the controller (internal to this collection, not a public API).

A declaration of thousands of keys given as ``api_keys: "{{ fleet }}"`` is templated by ansible-core item by item,
which costs more than the run itself. Read here, once, as a vars file is (vault included), whatever ``delegate_to``
says, it reaches the module as a JSON file in the module's temporary directory, without a template in between and
outside the module's arguments; the module checks each item, naming it (``module_utils/_api_keys/declared_items.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.fiskaly.management.plugins.module_utils._messages import value_shape

ENCODER: Any
ENCODER_OPTIONS: dict[str, Any]
try:  # ansible-core 2.19 and later: the encoder of module arguments
    from ansible.module_utils.common.json import Direction, get_module_encoder

    ENCODER, ENCODER_OPTIONS = get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE), {}
except ImportError:  # 2.16 to 2.18, as they encode module arguments
    from ansible.module_utils.common import json as core_json

    ENCODER, ENCODER_OPTIONS = core_json.AnsibleJSONEncoder, {"vault_to_text": True}

FILE_OPTION = "api_keys_file"
ITEMS_OPTION = "api_keys"


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
            f"that list; it holds {value_shape(content)}{' (an empty file?)' if content is None else ''}"
        )
    return content, None


def module_json(path: object, items: list) -> tuple[str | None, str | None]:
    """The items as JSON, converted as ansible-core converts a module's arguments (dates, vault-encrypted values), or
    why they cannot be: a value that ansible-core could not hand to a module either (binary data, a set on 2.16).

    The plain types, which are nearly all a declaration holds, go through the standard library's C encoder; only the
    rest reach ansible-core's encoder, which is written in Python and would cost seconds at 10,000 items."""
    try:
        return json.dumps(items, separators=(",", ":"), default=ENCODER(**ENCODER_OPTIONS).default), None
    except (TypeError, ValueError) as error:
        return None, f"{FILE_OPTION} {path} holds a value that a module cannot receive (binary data, a set?): {error}"
