# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thread-safe state of the API keys and how often each name was created."""

from __future__ import annotations

import builtins
import copy
import secrets
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .errors import key_exists, key_not_found
from .listing_changes import Change, ListingChanges
from .minted import MintedSecrets
from .validation import ListQuery


class NameTaken(ValueError):
    """A seed record names a key that exists."""

    def __init__(self, name: str) -> None:
        super().__init__(f"API key '{name}' already exists")
        self.name = name


@dataclass
class ApiKey:
    """One stored API key; the secret is never kept, as the API can only show it once."""

    name: str
    kind: str
    status: str
    metadata: dict[str, str] = field(default_factory=dict)
    key_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def as_json(self) -> dict[str, Any]:
        """Return the API key object of the contract."""
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "metadata": copy.deepcopy(self.metadata),
            "_id": self.key_id,
            "_name": self.name,
            "_type": "API_KEY",
        }


class KeyStore:
    """API keys by name, in creation order (dicts keep insertion order)."""

    def __init__(self, minted: MintedSecrets | None = None, changes: ListingChanges | None = None) -> None:
        self._lock = threading.Lock()
        self._minted = minted if minted is not None else MintedSecrets()
        self._changes = changes if changes is not None else ListingChanges()
        self._keys: dict[str, ApiKey] = {}
        self._created: Counter[str] = Counter()
        # The matches of each listing query, in order, until a key changes: a fleet's pages are all one query, and
        # filtering and sorting 10,000 keys for each of its 100 pages would make the emulator the slowest part.
        self._listings: dict[tuple, list[ApiKey]] = {}

    def reset(self) -> None:
        """Drop every key and counter."""
        with self._lock:
            self._keys.clear()
            self._created.clear()
            self._listings.clear()

    def create(self, name: str, kind: str, status: str, metadata: dict[str, str]) -> dict[str, Any]:
        """Create a key over the wire; return its object with the one-time secret, or raise 409."""
        with self._lock:
            if name in self._keys:
                raise key_exists(name)
            key = ApiKey(name, kind, status, dict(metadata))
            self._keys[name] = key
            self._created[name] += 1
            self._listings.clear()
            answer = key.as_json()
        answer["secret"] = self._minted.record("key_secret", name, secrets.token_urlsafe(32))
        return answer

    def seed(self, records: list[tuple[str, str, str, dict[str, str]]]) -> list[dict[str, Any]]:
        """Create validated records all at once, or none if a name is taken or repeated."""
        names = [record[0] for record in records]
        if len(set(names)) != len(names):
            raise ValueError("seed records repeat a key name")
        with self._lock:
            taken = [name for name in names if name in self._keys]
            if taken:
                raise NameTaken(taken[0])
            created = []
            self._listings.clear()
            for name, kind, status, metadata in records:
                key = ApiKey(name, kind, status, dict(metadata))
                self._keys[name] = key
                created.append(key.as_json())
        return created

    def get(self, name: str) -> dict[str, Any]:
        """Return a key object or raise 404."""
        with self._lock:
            key = self._keys.get(name)
            if key is None:
                raise key_not_found(name)
            return key.as_json()

    def update_status(self, name: str, status: str | None) -> dict[str, Any]:
        """Set a key's status (None leaves it as is); raise 404 when missing."""
        with self._lock:
            key = self._keys.get(name)
            if key is None:
                raise key_not_found(name)
            if status is not None and key.status != status:
                key.status = status
                self._listings.clear()
            return key.as_json()

    def list(self, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
        """Return one page of matching keys and the number of matches across all pages."""
        with self._lock:
            cached = (tuple(query.kinds or ()), tuple(query.statuses or ()), query.order_by, query.descending)
            matches = self._listings.get(cached)
            if matches is None:
                matches = self._listings[cached] = self._matches(query)
            page = [key.as_json() for key in matches[query.offset : query.offset + query.limit]]
            count = len(matches)
            change = self._changes.take(query.offset)
            if change is not None:
                self._apply(change)  # under the same lock: the next request sees the account changed, this one does not
            return page, count

    def _apply(self, change: Change) -> None:
        """Make a listing change (see listing_changes): create what is not there, delete what is."""
        for name, kind, status, metadata in change.create:
            if name not in self._keys:
                self._keys[name] = ApiKey(name, kind, status, dict(metadata))
        for name in change.delete:
            self._keys.pop(name, None)
        self._listings.clear()

    def _matches(self, query: ListQuery) -> builtins.list[ApiKey]:  # `list` here is the method above
        matches = [
            key
            for key in self._keys.values()
            if (not query.kinds or key.kind in query.kinds) and (not query.statuses or key.status in query.statuses)
        ]
        if query.order_by is not None:
            # The name breaks ties so that pages never overlap or skip.
            order_by = query.order_by
            matches.sort(key=lambda key: (getattr(key, order_by), key.name), reverse=query.descending)
        elif query.descending:
            matches.reverse()
        return matches

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Return every key object by name."""
        with self._lock:
            return {name: key.as_json() for name, key in self._keys.items()}

    def create_count(self, name: str) -> int:
        """Return how many times a PUT created this name."""
        with self._lock:
            return self._created[name]

    def create_counts(self) -> dict[str, int]:
        """Return the PUT creation count of every name ever created."""
        with self._lock:
            return dict(self._created)
