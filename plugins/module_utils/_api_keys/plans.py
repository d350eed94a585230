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
from dataclasses import dataclass, field
from functools import cached_property

from .. import _messages as messages
from .._errors import InvalidInput
from .._http.client import FiskalyClient
from .._http.routes import ManagementApi, ManagementApi012, ManagementApiDraft

UNDECLARED = "undeclared"  # the place of a key that a fleet's declaration does not name (see ``undeclared``)


@dataclass(frozen=True)
class DesiredKey:
    name: str | None  # None only where ``key_id`` names the key (0.12)
    state: str = "present"
    kind: str | None = None
    metadata: dict | None = None
    declared_as: str = "name"  # where it was declared, as messages name it: "name", "api_keys[3]" or UNDECLARED
    key_id: str | None = None  # 0.12: the key's ``_id``, which addresses one key whatever its name

    @property
    def status_to_create(self) -> str:
        return "disabled" if self.state == "disabled" else "enabled"


def without_secret(key: dict) -> dict:
    return {name: value for name, value in key.items() if name != ManagementApi.KEY_SECRET}


def shown(key: dict | None, fields: tuple[str, ...]) -> dict:
    """The part of a key that a diff shows: never the secret, nor ids that only the API assigns."""
    return {} if key is None else {name: key.get(name) for name in fields}


@dataclass
class Plan:
    """What one key needs, given the keys that match it (by name, or by ``_id``) in the version spoken."""

    desired: DesiredKey
    matches: list[dict]
    api: ManagementApi = field(default_factory=ManagementApiDraft)

    # current and action are read several times a key (errors, results, diff, summary): computed once, as a plan does
    # not change once made (a fleet of 10,000 keys spent a third of its planning recomputing them).
    @cached_property
    def current(self) -> dict | None:
        """The one key that the plan is about, or None (none exists, or several share the name: see errors)."""
        return self.matches[0] if len(self.matches) == 1 else None

    @property
    def name(self) -> str:
        """The key's name, as results and messages show it."""
        current = self.current
        return self.desired.name or str((current or {}).get("name") or self.desired.key_id)

    @cached_property
    def action(self) -> str:
        desired, current = self.desired, self.current
        if desired.state == "absent":
            return "delete" if current is not None else "none"
        if current is None:
            return "create"
        if self._metadata_changes():
            return "update"
        if desired.state != "present" and current.get("status") != desired.state:
            return "enable" if desired.state == "enabled" else "disable"
        return "none"

    def _metadata_changes(self) -> bool:
        wanted, current = self.desired.metadata, self.current or {}
        return self.api.CAN_CHANGE_METADATA and wanted is not None and wanted != (current.get("metadata") or {})

    @property
    def changed(self) -> bool:
        return self.action != "none"

    def errors(self) -> list[str]:
        """Why this plan cannot be carried out in the version spoken (see ``routes``)."""
        desired, current, api = self.desired, self.current, self.api
        where = messages.declared_key(self.name, desired.declared_as)
        if desired.key_id is not None and api.NAMES_ARE_UNIQUE:
            return [messages.not_in_version(f"{_prefix(desired)}id", api.VERSION, messages.DRAFT_ADDRESSES_BY_NAME)]
        if desired.state == "absent" and not api.CAN_DELETE:
            return [messages.not_in_version(f"{_prefix(desired)}state=absent", api.VERSION, messages.DRAFT_NO_DELETE)]
        if len(self.matches) > 1:
            return [messages.several_named(where, [str(key.get(api.KEY_IDENTITY)) for key in self.matches])]
        if current is None:
            return self._create_errors(where)
        errors = []
        if desired.name is not None and desired.key_id is not None and current.get("name") != desired.name:
            errors.append(messages.id_names_another(where, desired.key_id, current.get("name")))
        if desired.state == "absent":
            return errors
        errors += self._kind_errors(where, current)
        if desired.metadata is not None and desired.metadata != (current.get("metadata") or {}):
            if not api.CAN_CHANGE_METADATA:
                errors.append(messages.metadata_cannot_change(where, current.get("metadata") or {}, desired.metadata))
        return errors

    def _create_errors(self, where: str) -> list[str]:
        desired = self.desired
        if desired.state == "absent":
            return []
        if desired.key_id is not None:
            return [messages.no_key_with_id(where, desired.key_id)]
        if not self.api.TAKES_KIND:
            return [messages.kind_not_sent(where, self.api.VERSION)] if desired.kind else []
        return [] if desired.kind else [messages.no_kind_to_create(where)]

    def _kind_errors(self, where: str, current: dict) -> list[str]:
        kind = self.desired.kind
        if kind is None:
            return []
        if self.api.TAKES_KIND:
            existing = current.get("kind")
            return [] if kind == existing else [messages.kind_cannot_change(where, existing, kind)]
        # 0.12: the key's environments (``_envs``, TEST or LIVE), which kind names in lower case.
        environments = current.get(ManagementApi012.KEY_ENVIRONMENTS) or []
        if kind.upper() in environments:
            return []
        return [messages.kind_not_environment(where, kind, environments)]

    def predicted(self) -> dict:
        """The key as it will be once the plan is carried out ({} once deleted)."""
        desired, current = self.desired, self.current
        if self.action == "delete":
            return {}
        if current is None:
            created = {"name": desired.name, "status": desired.status_to_create, "metadata": desired.metadata or {}}
            return {**created, "kind": desired.kind} if self.api.TAKES_KIND else created
        status = desired.state if desired.state in ("enabled", "disabled") else current.get("status")
        predicted = {**without_secret(current), "status": status}
        if self._metadata_changes():
            predicted["metadata"] = desired.metadata
        return predicted

    def diff(self) -> dict:
        identity = self.api.KEY_IDENTITY
        header = f"API key {self.name}"
        if identity != "name" and self.current is not None:
            header += f" ({identity} {self.current.get(identity)})"
        return {
            "before": shown(self.current, self.api.SHOWN_FIELDS),
            "after": shown(self.predicted() or None, self.api.SHOWN_FIELDS),
            "before_header": header,
            "after_header": header,
        }


def _prefix(desired: DesiredKey) -> str:
    return "" if desired.declared_as == "name" else f"{desired.declared_as}."


def read_current(client: FiskalyClient, desired: list[DesiredKey]) -> list[list[dict]]:
    """The existing keys that match each desired key: by ``_id`` where one is given, else by name."""
    api = client.api
    by_id = [key.key_id for key in desired if key.key_id is not None]
    found_by_id: dict[str, dict] = {}
    if by_id and not api.NAMES_ARE_UNIQUE:
        found_by_id = {key_id: key for key_id, key in zip(by_id, client.get_api_keys(by_id)) if key is not None}
    names = [key.name for key in desired if key.key_id is None and key.name is not None]
    named = _read_by_name(client, names) if api.NAMES_ARE_UNIQUE else _list_by_name(client, names)
    return _matched(desired, found_by_id, named)


def match_listing(api: ManagementApi, desired: list[DesiredKey], every_key: list[dict]) -> list[list[dict]]:
    """As ``read_current``, from a listing of every key already read."""
    identity, named = api.KEY_IDENTITY, ManagementApi.KEY_NAME
    found_by_id = {key.get(identity): key for key in every_key} if not api.NAMES_ARE_UNIQUE else {}
    by_name: dict[str, list[dict]] = {}
    for key in every_key:
        by_name.setdefault(str(key.get(named)), []).append(key)
    return _matched(desired, found_by_id, by_name)


def _matched(desired: list[DesiredKey], found_by_id: dict, named: dict[str, list[dict]]) -> list[list[dict]]:
    return [
        ([found_by_id[key.key_id]] if key.key_id in found_by_id else [])
        if key.key_id is not None
        else named.get(key.name or "", [])
        for key in desired
    ]


def _list_by_name(client: FiskalyClient, names: list[str]) -> dict[str, list[dict]]:
    """0.12: every key of the organisation, grouped by name (several may share one); one listing, no GET by name."""
    if not names:
        return {}
    wanted, named = set(names), ManagementApi.KEY_NAME
    found: dict[str, list[dict]] = {}
    for keys, _count in client.list_api_key_pages():
        for key in keys:
            if key.get(named) in wanted:
                found.setdefault(key[named], []).append(key)
    return found


def _read_by_name(client: FiskalyClient, names: list[str]) -> dict[str, list[dict]]:
    """The draft: the existing keys among ``names``, in as few requests as the account allows.

    One name costs one GET. More are looked for in a listing by name, 100 a page, until every
    name is found or the pages still to read outnumber the names still missing; those are then
    read one GET each. The client sends both pages and GETs several at a time.
    """
    wanted = set(names)
    found: dict[str, dict] = {}
    named = ManagementApi.KEY_NAME
    if len(wanted) > 1:
        listed = 0
        for keys, count in client.list_api_key_pages(order_by="name"):
            found.update((key[named], key) for key in keys if key.get(named) in wanted)
            listed += len(keys)
            still_missing = len(wanted) - len(found)
            if still_missing == 0 or math.ceil((count - listed) / client.api.PAGE_SIZE) > still_missing:
                break
        else:
            return {name: [key] for name, key in found.items()}  # the whole account was listed: the rest do not exist
    missing = sorted(wanted - found.keys())
    found.update((name, key) for name, key in zip(missing, client.get_api_keys(missing)) if key is not None)
    return {name: [key] for name, key in found.items()}


def plan_keys(client: FiskalyClient, desired: list[DesiredKey], every_key: list[dict] | None = None) -> list[Plan]:
    """Plan every key, from ``every_key`` where the whole listing was read, else from what ``read_current`` reads;
    fail, naming each problem, before anything is written."""
    api = client.api
    current = read_current(client, desired) if every_key is None else match_listing(api, desired, every_key)
    plans = [Plan(key, matches, api) for key, matches in zip(desired, current)]
    errors = [error for plan in plans for error in plan.errors()]
    if errors:
        raise InvalidInput("; ".join(errors))
    return plans
