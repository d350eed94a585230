# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Changes to the account made right after a given page of a listing was served, to test a client's paging
against an account that changes between two pages, deterministically."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ApiError
from .validation import check_key_name, check_key_record


@dataclass(frozen=True)
class Change:
    """Keys to create and names to delete, at once.

    A record to create is the draft's (name, kind, status, metadata), or an object with as_json() (the 0.12
    dialect's validation_012.KeyRecord).
    """

    create: tuple[Any, ...]
    delete: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "create": [
                record.as_json()
                if hasattr(record, "as_json")
                else {"name": record[0], "kind": record[1], "status": record[2], "metadata": record[3]}
                for record in self.create
            ],
            "delete": list(self.delete),
        }


def _check_change(change: Any, where: str, check_record: Callable[[Any], Any]) -> Change:
    if not isinstance(change, dict) or not change or set(change) - {"create", "delete"}:
        raise ValueError(
            f"{where} must be an object with 'create' (a list of key records) and/or 'delete' (a list of key names)"
        )
    create, delete = change.get("create", []), change.get("delete", [])
    if not isinstance(create, list) or not isinstance(delete, list):
        raise ValueError(f"{where}: 'create' and 'delete' must be lists")
    records = []
    for index, record in enumerate(create):
        try:
            records.append(check_record(record))
        except ValueError as exc:
            raise ValueError(f"{where}.create[{index}]: {exc}") from None
    names = []
    for index, name in enumerate(delete):
        try:
            names.append(check_key_name(name))
        except ApiError:
            raise ValueError(f"{where}.delete[{index}] is not a valid key name") from None
    return Change(tuple(records), tuple(names))


def check_listing_changes(spec: Any, check_record: Callable[[Any], Any] = check_key_record) -> tuple[int, list[Change]]:
    """Validate ``{"after_offset": N, "changes": [{"create": [...], "delete": [...]}, ...]}``; ``check_record``
    validates a record to create (the draft's by default), raising ValueError."""
    if not isinstance(spec, dict) or set(spec) != {"after_offset", "changes"}:
        raise ValueError(
            'listing-changes take an object {"after_offset": N, "changes": [{"create": [...], "delete": [...]}, ...]}'
        )
    offset, changes = spec["after_offset"], spec["changes"]
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError("after_offset must be an integer >= 0, the offset of a listing's page")
    if not isinstance(changes, list) or not changes:
        raise ValueError("changes must be a non-empty list, one change for each time the page is served")
    return offset, [_check_change(change, f"changes[{index}]", check_record) for index, change in enumerate(changes)]


class ListingChanges:
    """Per page offset, the changes still to make: each serving of that page (any filters) takes the next one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[int, deque[Change]] = {}

    def add(self, offset: int, changes: list[Change]) -> int:
        with self._lock:
            self._queued.setdefault(offset, deque()).extend(changes)
            return len(self._queued[offset])

    def take(self, offset: int) -> Change | None:
        with self._lock:
            queue = self._queued.get(offset)
            if not queue:
                return None
            change = queue.popleft()
            if not queue:
                del self._queued[offset]
            return change

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"after_offset": offset, "changes": [change.as_json() for change in queue]}
                for offset, queue in sorted(self._queued.items())
            ]

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()
