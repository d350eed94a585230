# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API's rules for API keys that can be checked without a round trip (internal, not a public API).

Each check returns messages that name the option and the rule, so that bad input fails before
any request is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import _messages as messages
from .._http.routes import ROUTE_TABLES

if TYPE_CHECKING:
    from .plans import DesiredKey

# Matched with fullmatch(): "$" alone would let a trailing line break through ("pos-1\n", read from a file).
NAME_PATTERN = re.compile(r"[a-z0-9-]{3,30}")
METADATA_MAX_PROPERTIES = 20
METADATA_MAX_NAME_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500


def name_errors(option: str, name: object) -> list[str]:
    if isinstance(name, str) and NAME_PATTERN.fullmatch(name):
        return []
    return [messages.bad_name(option, name)]


def metadata_errors(option: str, metadata: dict | None) -> list[str]:
    if metadata is None:
        return []
    errors = []
    if len(metadata) > METADATA_MAX_PROPERTIES:
        errors.append(messages.too_many_properties(option, METADATA_MAX_PROPERTIES, len(metadata)))
    for prop, value in metadata.items():
        if len(prop) > METADATA_MAX_NAME_LENGTH:
            errors.append(messages.property_name_too_long(option, METADATA_MAX_NAME_LENGTH, prop))
        if not isinstance(value, str):
            errors.append(messages.property_not_a_string(option, prop, value))
        elif len(value) > METADATA_MAX_VALUE_LENGTH:
            errors.append(messages.property_value_too_long(option, prop, METADATA_MAX_VALUE_LENGTH, len(value)))
    return errors


def desired_key_errors(keys: Iterable[DesiredKey], api_version: str = "auto") -> list[str]:
    """Every local rule broken by a list of desired keys (``DesiredKey``), each message naming its option; what the
    draft cannot do is refused here where ``api_version`` says the draft (with ``auto``, once the login answer
    decided, by the plans)."""
    errors: list[str] = []
    seen: set[str] = set()
    ids: set[str] = set()
    table = ROUTE_TABLES.get(api_version)  # None: auto, where the plans refuse it once the API answered
    for key in keys:
        prefix = "" if key.declared_as == "name" else f"{key.declared_as}."
        if key.name is not None or key.key_id is None:
            errors += name_errors(f"{prefix}name", key.name)
        errors += metadata_errors(f"{prefix}metadata", key.metadata)
        if key.key_id is not None and not key.key_id.strip():
            errors.append(messages.empty_id(f"{prefix}id"))
        if table is not None and table.NAMES_ARE_UNIQUE and key.key_id is not None:
            errors.append(messages.not_in_version(f"{prefix}id", api_version, messages.DRAFT_ADDRESSES_BY_NAME))
        if table is not None and not table.CAN_DELETE and key.state == "absent":
            errors.append(messages.not_in_version(f"{prefix}state=absent", api_version, messages.DRAFT_NO_DELETE))
        if key.key_id is None and key.name in seen:
            errors.append(messages.declared_twice(prefix, key.name))
        if key.key_id is not None and key.key_id in ids:
            errors.append(messages.id_declared_twice(prefix, key.key_id))
        seen.add(key.name or "")
        ids.add(key.key_id or "")
    return errors


def listing_errors(params: dict) -> list[str]:
    """The rules of fiskaly_api_key_info's options: a name, a page window, filters that name each value once."""
    errors = name_errors("name", params["name"]) if params["name"] is not None else []
    if params["limit"] is not None and params["limit"] < 1:
        errors.append(messages.at_least("limit", 1, params["limit"]))
    if params["offset"] < 0:
        errors.append(messages.at_least("offset", 0, params["offset"]))
    for name in ("kind", "status"):
        if params[name] and len(set(params[name])) < len(params[name]):
            errors.append(messages.named_twice(name, params[name]))
    # What the version named cannot do, before any request (with auto, the client refuses it once it knows).
    version = params["api_version"]
    table = ROUTE_TABLES.get(version)
    if table is None:  # auto: the client refuses it once the API answered (FiskalyClient.listing_filters)
        return errors
    if table.NAMES_ARE_UNIQUE and params["id"] is not None:
        errors.append(messages.not_in_version("id", version, messages.DRAFT_ADDRESSES_BY_NAME))
    if not table.FILTERS_BY_KIND and params["kind"]:
        errors.append(messages.not_in_version("kind", version, messages.NO_KIND_FILTER))
    order_by = params["order_by"]
    if order_by is not None and order_by not in table.ORDER_FIELDS:
        errors.append(messages.order_by_not_in_version(order_by, version, table.ORDER_FIELDS))
    return errors
