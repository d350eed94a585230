# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The input rules of the management API 0.12 dialect (see /work/shared/API-CONTRACT-0.12.md in the project's
notes and emulator/README.md); every breach raises a 400 E_FAILED_SCHEMA_VALIDATION that never quotes input
values. Where no source shows a field or a value, it is refused."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request
from .validation import KEY_NAME_RE, MAX_LIMIT, SAFE_FIELD_RE, STATUSES, check_metadata

SCHEMA = "E_FAILED_SCHEMA_VALIDATION"
ORDER_BY = ("name", "status", "created_at")
ORDERS = ("asc", "desc")
LIST_PARAMS = ("order_by", "order", "status", "limit", "offset")
CREATE_FIELDS = ("name", "status", "metadata", "managed_by_organization_id")
UPDATE_FIELDS = ("status", "metadata")
ENVS = ("TEST", "LIVE")
# Read-only fields of a key object: a seed record may carry them (a dump seeded back); they are not taken over.
READ_ONLY_FIELDS = ("_id", "_type", "key", "managed_by_organization_id", "created_at", "created_by_user")
_DIGITS_RE = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class ListQuery012:
    """A validated list query of the 0.12 dialect."""

    order_by: str | None = None
    descending: bool = False
    status: str | None = None
    limit: int = MAX_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class KeyRecord:
    """A validated key to create: over the wire, by a seed or by a listing change."""

    name: str
    status: str
    metadata: dict[str, str]
    organization_id: str | None = None
    envs: tuple[str, ...] = ("TEST",)

    def as_json(self) -> dict[str, Any]:
        """The record as a seed would give it (a pending listing change shows it so)."""
        record: dict[str, Any] = {"name": self.name, "status": self.status, "metadata": dict(self.metadata)}
        if self.organization_id is not None:
            record["organization_id"] = self.organization_id
        record["_envs"] = list(self.envs)
        return record


def schema_error(message: str) -> ApiError:
    """A 400 of the 0.12 dialect's schema validation."""
    return bad_request(SCHEMA, message)


def _field(name: str) -> str:
    return f"'{name}'" if SAFE_FIELD_RE.fullmatch(name) else "a property"


def is_uuid(value: Any) -> bool:
    """Whether a value is a UUID string in its canonical form."""
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _reject_unknown(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for name in body:
        if name not in allowed:
            raise schema_error(
                f"body should NOT have additional property {_field(name)}; allowed: {', '.join(allowed)}"
            )


def _name(value: Any) -> str:
    if not isinstance(value, str) or not KEY_NAME_RE.fullmatch(value):
        raise schema_error('body.name should match pattern "^[a-z0-9-]{3,30}$"')
    return value


def _status(value: Any) -> str:
    if not isinstance(value, str) or value not in STATUSES:
        raise schema_error(f"body.status should be equal to one of the allowed values: {', '.join(STATUSES)}")
    return value


def _metadata(value: Any) -> dict[str, str]:
    try:
        return check_metadata(value)
    except ApiError as exc:
        raise schema_error(f"body.metadata: {exc.message}") from None


def check_create_body(body: dict[str, Any]) -> KeyRecord:
    """Validate a create body: name required; status (default enabled), metadata, managed_by_organization_id
    optional; nothing else (notably no 'kind')."""
    _reject_unknown(body, CREATE_FIELDS)
    if "name" not in body:
        raise schema_error("body should have required property 'name'")
    manager = body.get("managed_by_organization_id")
    if "managed_by_organization_id" in body and not is_uuid(manager):
        raise schema_error("body.managed_by_organization_id should be a UUID string")
    return KeyRecord(
        _name(body["name"]),
        _status(body["status"]) if "status" in body else "enabled",
        _metadata(body["metadata"]) if "metadata" in body else {},
    )


def check_update_body(body: dict[str, Any]) -> tuple[str | None, dict[str, str] | None]:
    """Validate a PATCH body: status and/or metadata, at least one; return both (None: unchanged)."""
    _reject_unknown(body, UPDATE_FIELDS)
    if not body:
        raise schema_error("body should have at least one of the properties: status, metadata")
    status = _status(body["status"]) if "status" in body else None
    metadata = _metadata(body["metadata"]) if "metadata" in body else None
    return status, metadata


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise schema_error(f"querystring.{name} should be given once")
    return values[0]


def _enum(query: dict[str, list[str]], name: str, allowed: tuple[str, ...]) -> str | None:
    value = _single(query, name)
    if value is not None and value not in allowed:
        raise schema_error(f"querystring.{name} should be equal to one of the allowed values: {', '.join(allowed)}")
    return value


def _bounded_int(query: dict[str, list[str]], name: str, default: int, low: int, high: int | None) -> int:
    raw = _single(query, name)
    if raw is None:
        return default
    value = int(raw) if _DIGITS_RE.fullmatch(raw) else -1
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise schema_error(f"querystring.{name} should be an integer {bounds}")
    return value


def check_list_query(query: dict[str, list[str]]) -> ListQuery012:
    """Validate the list query: order_by, order, status (one value), limit 1..100, offset >= 0, nothing else."""
    for name in query:
        if name not in LIST_PARAMS:
            raise schema_error(
                f"querystring should NOT have additional property {_field(name)}; allowed: {', '.join(LIST_PARAMS)}"
            )
    return ListQuery012(
        order_by=_enum(query, "order_by", ORDER_BY),
        descending=_enum(query, "order", ORDERS) == "desc",
        status=_enum(query, "status", STATUSES),
        limit=_bounded_int(query, "limit", MAX_LIMIT, 1, MAX_LIMIT),
        offset=_bounded_int(query, "offset", 0, 0, None),
    )


def _envs(value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or any(env not in ENVS for env in value)
        or len(set(value)) != len(value)
    ):
        raise ValueError(f"'_envs' must be a non-empty list of distinct values of: {', '.join(ENVS)}")
    return tuple(value)


def check_key_record(record: Any) -> KeyRecord:
    """Validate a seed or listing-change record {name, status?, metadata?, organization_id?, _envs?}; the read-only
    fields of a key object are taken and ignored, so that a dump can be seeded back. Raise ValueError."""
    if not isinstance(record, dict):
        raise ValueError("a seed record must be an object")
    allowed = ("name", "status", "metadata", "organization_id", "_envs", *READ_ONLY_FIELDS)
    for name in record:
        if name not in allowed:
            raise ValueError(f"unknown property {_field(name)}; allowed: {', '.join(allowed)}")
    organization_id = record.get("organization_id")
    if organization_id is not None and not is_uuid(organization_id):
        raise ValueError("'organization_id' must be a UUID string")
    try:
        name = _name(record.get("name"))
        status = _status(record["status"]) if "status" in record else "enabled"
        metadata = _metadata(record["metadata"]) if "metadata" in record else {}
    except ApiError as exc:
        raise ValueError(exc.message.replace("body.", "")) from None
    envs = _envs(record["_envs"]) if "_envs" in record else ("TEST",)
    return KeyRecord(name, status, metadata, organization_id, envs)
