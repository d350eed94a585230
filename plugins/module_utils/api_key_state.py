# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconciling API keys with their desired state (internal to this collection, not a public API).

One implementation serves one key and a fleet of keys: read what exists (one GET, or a paged
listing), plan each key, check every plan before the first write, then write, or in check mode
only predict. Results and diffs come from the same plans, so a check run, a diff and a real run
cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .client import PAGE_SIZE, CreateConflict, FiskalyClient
from .errors import ApiError, FiskalyError, InvalidInput, TransportError
from .interrupt import held_back, raise_held

SHOWN_FIELDS = ("name", "kind", "status", "metadata")


@dataclass(frozen=True)
class DesiredKey:
    name: str
    state: str = "present"
    kind: str | None = None
    metadata: dict | None = None
    option: str = "name"  # how messages name where it was declared: "name" or "api_keys[3]"

    @property
    def status_to_create(self) -> str:
        return "disabled" if self.state == "disabled" else "enabled"


def without_secret(key: dict) -> dict:
    return {name: value for name, value in key.items() if name != "secret"}


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
        """Why this plan cannot be carried out: the API can neither give a key no kind nor change one's kind or metadata."""
        desired, current = self.desired, self.current
        where = f"API key '{desired.name}'" + ("" if desired.option == "name" else f" ({desired.option})")
        if current is None:
            return [] if desired.kind else [f"{where} does not exist, and kind is required to create it"]
        errors = []
        if desired.kind is not None and desired.kind != current.get("kind"):
            errors.append(f"{where} exists with kind {current.get('kind')!r}, but kind {desired.kind!r} is wanted: "
                          "the API cannot change the kind of a key")
        if desired.metadata is not None and desired.metadata != (current.get("metadata") or {}):
            errors.append(f"{where} exists with metadata {current.get('metadata') or {}!r}, but metadata {desired.metadata!r} is wanted: "
                          "the API cannot change the metadata of a key")
        return errors

    def predicted(self) -> dict:
        """The key as it will be once the plan is carried out."""
        if self.current is None:
            return {"name": self.desired.name, "kind": self.desired.kind, "status": self.desired.status_to_create,
                    "metadata": self.desired.metadata or {}}
        status = self.desired.state if self.desired.state != "present" else self.current.get("status")
        return {**without_secret(self.current), "status": status}

    def diff(self) -> dict:
        return {"before": shown(self.current), "after": shown(self.predicted()),
                "before_header": f"API key {self.desired.name}", "after_header": f"API key {self.desired.name}"}


@dataclass
class Outcome:
    plan: Plan
    api_key: dict
    secret: str | None = None

    def result(self) -> dict:
        result = {"name": self.plan.desired.name, "changed": self.plan.changed, "action": self.plan.action, "api_key": self.api_key}
        if self.secret is not None:
            result["secret"] = self.secret
        return result


def read_current(client: FiskalyClient, names: list[str]) -> dict[str, dict]:
    """The existing keys among ``names``, in as few requests as the account allows.

    One name costs one GET. More are looked for in a listing by name, 100 a page, until every
    name is found or the pages still to read outnumber the names still missing; those are then
    read one GET each.
    """
    wanted = set(names)
    found: dict[str, dict] = {}
    if len(wanted) > 1:
        listed = 0
        for keys, count in client.list_api_key_pages(order_by="name"):
            found.update((key["name"], key) for key in keys if key.get("name") in wanted)
            listed += len(keys)
            missing = len(wanted) - len(found)
            if missing == 0 or math.ceil((count - listed) / PAGE_SIZE) > missing:
                break
        else:
            return found  # the whole account was listed: what is missing does not exist
    for name in sorted(wanted - found.keys()):
        key = client.get_api_key(name)
        if key is not None:
            found[name] = key
    return found


def plan_keys(client: FiskalyClient, desired: list[DesiredKey]) -> list[Plan]:
    """Plan every key; fail, naming each problem, before anything is written."""
    current = read_current(client, [key.name for key in desired])
    plans = [Plan(key, current.get(key.name)) for key in desired]
    errors = [error for plan in plans for error in plan.errors()]
    if errors:
        raise InvalidInput("; ".join(errors))
    return plans


@dataclass
class Reconciler:
    client: FiskalyClient
    check_mode: bool
    done: list[Outcome] = field(default_factory=list)

    def apply_all(self, plans: list[Plan]) -> list[Outcome]:
        for plan in plans:
            self.done.append(self.apply(plan))
            raise_held()  # a signal that came during this create: the outcome, and its secret, are kept now
        return self.done

    def apply(self, plan: Plan) -> Outcome:
        if self.check_mode or plan.action == "none":
            return Outcome(plan, plan.predicted())
        if plan.action != "create":
            return Outcome(plan, self.client.set_api_key_status(plan.desired.name, plan.predicted()["status"]))
        desired = plan.desired
        try:
            with held_back():
                created = self.client.create_api_key(desired.name, desired.kind, desired.status_to_create, desired.metadata)
        except CreateConflict as conflict:
            existing = self.client.get_api_key(desired.name)
            if existing is None:
                raise FiskalyError(f"Creating API key '{desired.name}' failed: the API answered 409 (it exists), "
                                   "but the key cannot be read", **conflict.result) from None
            if conflict.maybe_ours:
                raise lost_secret(desired.name, existing, "the repeated request found the key existing (HTTP 409)") from None
            # Created by someone else since we looked (another fork, say): reconcile with that key.
            replan = Plan(desired, existing)
            if replan.errors():
                raise InvalidInput("; ".join(replan.errors())) from None
            return self.apply(replan)
        except (TransportError, ApiError) as failure:
            # No good answer in the end, yet an attempt may have reached the API and created the key (its answer lost,
            # then 5xx or 429 to the last retry). Look, so as not to report a plain failure that a rerun would then
            # report as "unchanged", the secret silently gone.
            if not failure.may_have_reached_api:
                raise
            try:
                existing = self.client.get_api_key(desired.name)
            except FiskalyError:
                raise FiskalyError(f"{failure}. The key may have been created all the same, its secret lost: "
                                   "a run that finds it existing will not report it as created", **failure.result) from None
            if existing is not None:
                raise lost_secret(desired.name, existing, f"the request ended in {failure_label(failure)}") from None
            raise
        if not isinstance(created.get("secret"), str) or not created["secret"]:
            raise lost_secret(desired.name, created, "what came back (HTTP 200) holds no 'secret' string")
        return Outcome(plan, without_secret(created), created["secret"])


def failure_label(failure: FiskalyError) -> str:
    """How a request ended, as the lost-secret message says it: "a timeout", "HTTP 503"."""
    if isinstance(failure, TransportError):
        return f"a {failure.kind}"
    return f"HTTP {failure.status}"


def lost_secret(name: str, existing: dict, how: str) -> FiskalyError:
    return FiskalyError(
        f"API key '{name}' was created, but its secret was not received: the answer to the create request was lost and "
        f"{how}. The API never shows a secret again. "
        f"Disable this key (state: disabled) and create one under a new name, or keep '{name}' and give it no client.",
        api_key=without_secret(existing),
        changed=True,
    )
