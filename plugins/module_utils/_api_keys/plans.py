# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning API keys against what exists: what each key needs (internal to this collection, not a public API).

One implementation serves one key and a fleet of keys: read what exists (one GET, or a paged
listing), plan each key, and check every plan before the first write. Results and diffs come from
the same plans, so a check run, a diff and a real run cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import _messages as messages
from .._errors import InvalidInput
from .._http.client import FiskalyClient
from .._http.routes import API

SHOWN_FIELDS = ("name", "kind", "status", "metadata")


@dataclass(frozen=True)
class DesiredKey:
    name: str
    state: str = "present"
    kind: str | None = None
    metadata: dict | None = None
    declared_as: str = "name"  # where it was declared, as messages name it: "name" or "api_keys[3]"

    @property
    def status_to_create(self) -> str:
        return "disabled" if self.state == "disabled" else "enabled"


def without_secret(key: dict) -> dict:
    return {name: value for name, value in key.items() if name != API.KEY_SECRET}


def shown(key: dict | None) -> dict:
    """The part of a key that a diff shows: never the secret, nor ids that only the API assigns."""
    return {} if key is None else {name: key.get(name) for name in SHOWN_FIELDS}


@dataclass
class Plan:
    """What one key needs, given what exists."""

    desired: DesiredKey
    current: dict | None

    @property
    def action(self) -> str:
        if self.current is None:
            return "create"
        if self.desired.state != "present" and self.current.get("status") != self.desired.state:
            return "enable" if self.desired.state == "enabled" else "disable"
        return "none"

    @property
    def changed(self) -> bool:
        return self.action != "none"

    def errors(self) -> list[str]:
        """Why this plan cannot be carried out: the API can neither give a key no kind nor change one's kind or
        metadata."""
        desired, current = self.desired, self.current
        where = messages.declared_key(desired.name, desired.declared_as)
        if current is None:
            return [] if desired.kind else [messages.no_kind_to_create(where)]
        errors = []
        if desired.kind is not None and desired.kind != current.get("kind"):
            errors.append(messages.kind_cannot_change(where, current.get("kind"), desired.kind))
        if desired.metadata is not None and desired.metadata != (current.get("metadata") or {}):
            errors.append(messages.metadata_cannot_change(where, current.get("metadata") or {}, desired.metadata))
        return errors

    def predicted(self) -> dict:
        """The key as it will be once the plan is carried out."""
        if self.current is None:
            desired = self.desired
            return {
                "name": desired.name,
                "kind": desired.kind,
                "status": desired.status_to_create,
                "metadata": desired.metadata or {},
            }
        status = self.desired.state if self.desired.state != "present" else self.current.get("status")
        return {**without_secret(self.current), "status": status}

    def diff(self) -> dict:
        return {
            "before": shown(self.current),
            "after": shown(self.predicted()),
            "before_header": f"API key {self.desired.name}",
            "after_header": f"API key {self.desired.name}",
        }


def read_current(client: FiskalyClient, names: list[str]) -> dict[str, dict]:
    """The existing keys among ``names``, in as few requests as the account allows.

    One name costs one GET. More are looked for in a listing by name, 100 a page, until every
    name is found or the pages still to read outnumber the names still missing; those are then
    read one GET each. The client sends both pages and GETs several at a time.
    """
    wanted = set(names)
    found: dict[str, dict] = {}
    if len(wanted) > 1:
        listed = 0
        for keys, count in client.list_api_key_pages(order_by="name"):
            found.update((key[API.KEY_NAME], key) for key in keys if key.get(API.KEY_NAME) in wanted)
            listed += len(keys)
            still_missing = len(wanted) - len(found)
            if still_missing == 0 or math.ceil((count - listed) / client.api.PAGE_SIZE) > still_missing:
                break
        else:
            return found  # the whole account was listed: what is missing does not exist
    missing = sorted(wanted - found.keys())
    found.update((name, key) for name, key in zip(missing, client.get_api_keys(missing)) if key is not None)
    return found


def plan_keys(client: FiskalyClient, desired: list[DesiredKey]) -> list[Plan]:
    """Plan every key; fail, naming each problem, before anything is written."""
    current = read_current(client, [key.name for key in desired])
    plans = [Plan(key, current.get(key.name)) for key in desired]
    errors = [error for plan in plans for error in plan.errors()]
    if errors:
        raise InvalidInput("; ".join(errors))
    return plans
