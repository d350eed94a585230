# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thread-safe state of the 0.12 dialect: the organisations, and the API keys of each, addressed by their _id."""

from __future__ import annotations

import builtins
import copy
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .listing_changes import Change, ListingChanges
from .minted import MintedSecrets
from .validation_012 import KeyRecord, ListQuery012


class Organizations:
    """The emulator's own organisation and the two it manages, each a uuid4 made per instance."""

    def __init__(self) -> None:
        self.own = str(uuid.uuid4())
        self.managed = (str(uuid.uuid4()), str(uuid.uuid4()))
        # Organisation id -> the id of the organisation managing it ("" for none).
        self.manager = {self.own: "", **{managed: self.own for managed in self.managed}}

    def known(self, organization_id: str) -> bool:
        """Whether an organisation exists."""
        return organization_id in self.manager

    def may_use(self, actor: str, organization_id: str) -> bool:
        """Whether a token of ``actor`` may use the keys of ``organization_id``: its own, or one it manages."""
        return organization_id == actor or (bool(actor) and self.manager.get(organization_id) == actor)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


@dataclass
class ApiKey012:  # pylint: disable=too-many-instance-attributes  # the key object's fields
    """One stored API key; of its secret only a digest is kept, to let the key log in."""

    organization_id: str
    name: str
    status: str
    metadata: dict[str, str]
    managed_by_organization_id: str
    created_by_user: str
    envs: tuple[str, ...] = ("TEST",)
    key_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    key: str = field(default_factory=lambda: f"test_{secrets.token_hex(6)}_{secrets.token_hex(10)}")
    created_at: int = field(default_factory=lambda: int(time.time()))
    secret_digest: bytes | None = None

    def as_json(self, with_organization: bool = False) -> dict[str, Any]:
        """Return the key object of the 0.12 wire (plus where it lives, for the admin API)."""
        answer: dict[str, Any] = {
            "_id": self.key_id,
            "_type": "API_KEY",
            "_envs": list(self.envs),
            "key": self.key,
            "name": self.name,
            "status": self.status,
            "metadata": copy.deepcopy(self.metadata),
            "managed_by_organization_id": self.managed_by_organization_id,
            "created_at": self.created_at,
            "created_by_user": self.created_by_user,
        }
        if with_organization:
            answer["organization_id"] = self.organization_id
        return answer


def key_not_found() -> ApiError:
    """A 404 for a key id: unknown, deleted, or of another organisation (never quoted)."""
    return ApiError(404, "E_NOT_FOUND", "API key not found")


class KeyStore012:  # pylint: disable=too-many-instance-attributes  # the draft KeyStore's, plus the organisations and user
    """API keys by _id, in creation order (dicts keep insertion order); names may repeat."""

    def __init__(
        self, organizations: Organizations, minted: MintedSecrets | None = None, changes: ListingChanges | None = None
    ) -> None:
        self._lock = threading.Lock()
        self.organizations = organizations
        # The user every key is created by: the emulator has one.
        self.user_id = str(uuid.uuid4())
        self._minted = minted if minted is not None else MintedSecrets()
        self._changes = changes if changes is not None else ListingChanges()
        self._keys: dict[str, ApiKey012] = {}
        self._created: Counter[str] = Counter()
        self._listings: dict[tuple[Any, ...], list[ApiKey012]] = {}

    def reset(self) -> None:
        """Drop every key and counter; the organisations stay."""
        with self._lock:
            self._keys.clear()
            self._created.clear()
            self._listings.clear()

    def _new(self, record: KeyRecord, organization_id: str) -> ApiKey012:
        # Called with the lock held.
        key = ApiKey012(
            organization_id,
            record.name,
            record.status,
            dict(record.metadata),
            self.organizations.manager[organization_id],
            self.user_id,
            record.envs,
        )
        self._keys[key.key_id] = key
        self._listings.clear()
        return key

    def create(self, organization_id: str, record: KeyRecord) -> dict[str, Any]:
        """Create a key over the wire; return its object with the one-time secret."""
        secret = secrets.token_urlsafe(32)
        with self._lock:
            key = self._new(record, organization_id)
            key.secret_digest = _digest(secret)
            self._created[record.name] += 1
            answer = key.as_json()
        answer["secret"] = self._minted.record("key_secret", record.name, secret)
        return answer

    def seed(self, records: list[KeyRecord]) -> list[dict[str, Any]]:
        """Create validated records all at once (their organisations exist; default: the own one)."""
        for record in records:
            if record.organization_id is not None and not self.organizations.known(record.organization_id):
                raise ValueError(f"organization_id of seed record {record.name!r} is no organisation of the emulator")
        with self._lock:
            return [
                self._new(record, record.organization_id or self.organizations.own).as_json(with_organization=True)
                for record in records
            ]

    def _key(self, organization_id: str, key_id: str) -> ApiKey012:
        # Called with the lock held.
        key = self._keys.get(key_id)
        if key is None or key.organization_id != organization_id:
            raise key_not_found()
        return key

    def get(self, organization_id: str, key_id: str) -> dict[str, Any]:
        """Return a key object of the organisation or raise 404."""
        with self._lock:
            return self._key(organization_id, key_id).as_json()

    def update(
        self, organization_id: str, key_id: str, status: str | None, metadata: dict[str, str] | None
    ) -> dict[str, Any]:
        """Set the status and/or replace the metadata (None leaves it as is); raise 404 when missing."""
        with self._lock:
            key = self._key(organization_id, key_id)
            if status is not None:
                key.status = status
            if metadata is not None:
                key.metadata = dict(metadata)
            self._listings.clear()
            return key.as_json()

    def delete(self, organization_id: str, key_id: str) -> None:
        """Delete a key or raise 404."""
        with self._lock:
            self._key(organization_id, key_id)
            del self._keys[key_id]
            self._listings.clear()

    def login(self, api_key: str, api_secret: str) -> str | None:
        """The organisation of an enabled key created over the wire with this key and secret, or None."""
        digest = _digest(api_secret)
        with self._lock:
            keys = [key for key in self._keys.values() if key.secret_digest is not None]
        found = None
        for key in keys:
            key_ok = hmac.compare_digest(api_key.encode("utf-8"), key.key.encode("utf-8"))
            assert key.secret_digest is not None
            if key_ok and hmac.compare_digest(digest, key.secret_digest) and key.status == "enabled":
                found = key.organization_id
        return found

    def list(self, organization_id: str, query: ListQuery012) -> tuple[list[dict[str, Any]], int]:
        """Return one page of the organisation's matching keys and the number of matches across all pages."""
        with self._lock:
            cached = (organization_id, query.status, query.order_by, query.descending)
            matches = self._listings.get(cached)
            if matches is None:
                matches = self._listings[cached] = self._matches(organization_id, query)
            page = [key.as_json() for key in matches[query.offset : query.offset + query.limit]]
            count = len(matches)
            change = self._changes.take(query.offset)
            if change is not None:
                self._apply(change)  # the next request sees the account changed, this one does not
            return page, count

    def _apply(self, change: Change) -> None:
        """Make a listing change: create every record (names repeat in 0.12), delete every key of a name."""
        for record in change.create:
            self._new(record, record.organization_id or self.organizations.own)
        doomed = set(change.delete)
        for key_id in [key_id for key_id, key in self._keys.items() if key.name in doomed]:
            del self._keys[key_id]
        self._listings.clear()

    def _matches(self, organization_id: str, query: ListQuery012) -> builtins.list[ApiKey012]:
        matches = [
            key
            for key in self._keys.values()
            if key.organization_id == organization_id and (query.status is None or key.status == query.status)
        ]
        if query.order_by is not None:
            # The _id breaks ties so that pages never overlap or skip.
            order_by = query.order_by
            matches.sort(key=lambda key: (getattr(key, order_by), key.key_id), reverse=query.descending)
        elif query.descending:
            matches.reverse()
        return matches

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Return every key object (with its organization_id) by _id, in creation order."""
        with self._lock:
            return {key_id: key.as_json(with_organization=True) for key_id, key in self._keys.items()}

    def create_count(self, name: str) -> int:
        """Return how many times a POST created a key of this name."""
        with self._lock:
            return self._created[name]

    def create_counts(self) -> dict[str, int]:
        """Return the POST creation count of every name ever created."""
        with self._lock:
            return dict(self._created)
