# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract's input rules; every breach raises a 400 ApiError that never quotes input values."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request

KEY_NAME_RE = re.compile(r"[a-z0-9-]{3,30}")
KINDS = ("test", "live")
STATUSES = ("enabled", "disabled")
ORDER_BY = ("name", "kind", "status")
ORDERS = ("asc", "desc")
MAX_LIMIT = 100
METADATA_MAX_PROPERTIES = 20
METADATA_MAX_NAME = 40
METADATA_MAX_VALUE = 500
# Property names are only quoted back when they look like identifiers, so no user data leaks into messages.
SAFE_FIELD_RE = re.compile(r"[A-Za-z0-9_]{1,40}")
LIST_PARAMS = ("order_by", "order", "limit", "offset", "kind", "status")
_DIGITS_RE = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class ListQuery:
    """A validated List API Keys query."""

    order_by: str | None = None
    descending: bool = False
    limit: int = MAX_LIMIT
    offset: int = 0
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthRequest:
    """A validated POST /auth body: either a credential pair or a refresh token."""

    api_key: str | None = None
    api_secret: str | None = None
    refresh_token: str | None = None


def _field(name: str) -> str:
    return f"'{name}'" if SAFE_FIELD_RE.fullmatch(name) else "a property"


def check_key_name(name: str) -> str:
    """Validate a key name from a path or a seed record."""
    if not isinstance(name, str) or not KEY_NAME_RE.fullmatch(name):
        raise bad_request("E_INVALID_KEY_NAME", "key name must match ^[a-z0-9-]{3,30}$")
    return name


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Decode a request body that must be a JSON object."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad_request("E_INVALID_JSON", "request body must be a JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("E_INVALID_JSON", "request body must be a JSON object")
    return value


def _reject_unknown(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for name in body:
        if name not in allowed:
            raise bad_request("E_VALIDATION", f"unknown property {_field(name)}; allowed: {', '.join(allowed)}")


def _enum(body: dict[str, Any], name: str, allowed: tuple[str, ...], required: bool) -> str | None:
    if name not in body:
        if required:
            raise bad_request("E_VALIDATION", f"'{name}' is required")
        return None
    value = body[name]
    if not isinstance(value, str) or value not in allowed:
        raise bad_request("E_VALIDATION", f"'{name}' must be one of: {', '.join(allowed)}")
    return value


def check_metadata(value: Any) -> dict[str, str]:
    """Validate metadata: an object of at most 20 string properties with bounded names and values."""
    if not isinstance(value, dict):
        raise bad_request("E_VALIDATION", "'metadata' must be an object")
    if len(value) > METADATA_MAX_PROPERTIES:
        raise bad_request("E_VALIDATION", f"'metadata' may have at most {METADATA_MAX_PROPERTIES} properties")
    for name, item in value.items():
        if len(name) > METADATA_MAX_NAME:
            raise bad_request("E_VALIDATION", f"metadata property names may be at most {METADATA_MAX_NAME} characters")
        if not isinstance(item, str):
            raise bad_request("E_VALIDATION", f"metadata value of {_field(name)} must be a string")
        if len(item) > METADATA_MAX_VALUE:
            raise bad_request(
                "E_VALIDATION", f"metadata value of {_field(name)} may be at most {METADATA_MAX_VALUE} characters"
            )
    return dict(value)


def check_create_body(body: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    """Validate a Create API Key body; return kind, status and metadata."""
    _reject_unknown(body, ("kind", "status", "metadata"))
    kind = _enum(body, "kind", KINDS, required=True)
    status = _enum(body, "status", STATUSES, required=True)
    metadata = check_metadata(body["metadata"]) if "metadata" in body else {}
    assert kind is not None and status is not None  # required=True guarantees both
    return kind, status, metadata


def check_update_body(body: dict[str, Any]) -> str | None:
    """Validate an Update API Key Status body; the reference page does not mark status required."""
    _reject_unknown(body, ("status",))
    return _enum(body, "status", STATUSES, required=False)


def check_auth_body(body: dict[str, Any]) -> AuthRequest:
    """Validate a Retrieve a token body: a credential pair wins over a refresh token."""
    _reject_unknown(body, ("api_key", "api_secret", "refresh_token"))
    for name, value in body.items():
        if not isinstance(value, str):
            raise bad_request("E_VALIDATION", f"'{name}' must be a string")
    if "api_key" in body or "api_secret" in body:
        if "api_key" not in body or "api_secret" not in body:
            raise bad_request("E_VALIDATION", "'api_key' and 'api_secret' must be given together")
        return AuthRequest(api_key=body["api_key"], api_secret=body["api_secret"])
    if "refresh_token" in body:
        return AuthRequest(refresh_token=body["refresh_token"])
    raise bad_request("E_VALIDATION", "give either 'api_key' and 'api_secret', or 'refresh_token'")


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise bad_request("E_INVALID_QUERY", f"query parameter '{name}' may be given once")
    return values[0]


def _bounded_int(query: dict[str, list[str]], name: str, default: int, low: int, high: int | None) -> int:
    raw = _single(query, name)
    if raw is None:
        return default
    value = int(raw) if _DIGITS_RE.fullmatch(raw) else -1
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise bad_request("E_INVALID_QUERY", f"query parameter '{name}' must be an integer {bounds}")
    return value


def _enum_list(query: dict[str, list[str]], name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = query.get(name, [])
    for value in values:
        if value not in allowed:
            raise bad_request("E_INVALID_QUERY", f"query parameter '{name}' must be one of: {', '.join(allowed)}")
    if len(set(values)) != len(values):
        # The reference page declares these arrays with unique items.
        raise bad_request("E_INVALID_QUERY", f"query parameter '{name}' values must be unique")
    return tuple(values)


def check_list_query(query: dict[str, list[str]]) -> ListQuery:
    """Validate the List API Keys query string."""
    for name in query:
        if name not in LIST_PARAMS:
            raise bad_request(
                "E_INVALID_QUERY", f"unknown query parameter {_field(name)}; allowed: {', '.join(LIST_PARAMS)}"
            )
    order_by = _single(query, "order_by")
    if order_by is not None and order_by not in ORDER_BY:
        raise bad_request("E_INVALID_QUERY", f"query parameter 'order_by' must be one of: {', '.join(ORDER_BY)}")
    order = _single(query, "order")
    if order is not None and order not in ORDERS:
        raise bad_request("E_INVALID_QUERY", "query parameter 'order' must be one of: asc, desc")
    return ListQuery(
        order_by=order_by,
        descending=order == "desc",
        limit=_bounded_int(query, "limit", MAX_LIMIT, 1, MAX_LIMIT),
        offset=_bounded_int(query, "offset", 0, 0, None),
        kinds=_enum_list(query, "kind", KINDS),
        statuses=_enum_list(query, "status", STATUSES),
    )


def check_key_record(record: Any) -> tuple[str, str, str, dict[str, str]]:
    """Validate a seed record {name, kind, status, metadata?}; raise ValueError with the contract message."""
    try:
        if not isinstance(record, dict):
            raise bad_request("E_VALIDATION", "a seed record must be an object")
        name = check_key_name(record.get("name"))  # type: ignore[arg-type]
        # Records dumped by keys() carry read-only fields; accept them so a dump can be seeded back.
        fields = {k: v for k, v in record.items() if k not in ("name", "_id", "_name", "_type")}
        kind, status, metadata = check_create_body(fields)
    except ApiError as exc:
        raise ValueError(exc.message) from None
    return name, kind, status, metadata


# Ten years: far beyond any test, and an expiry time that stays a number (now + 10**400 overflows).
MAX_TTL = 10 * 365 * 86400


def check_ttl(value: Any, name: str) -> int:
    """Validate a token lifetime in whole seconds."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TTL:
        raise ValueError(f"{name} must be an integer number of seconds 1..{MAX_TTL}")
    return value
