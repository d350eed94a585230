# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carrying the plans of API keys out, or in check mode only predicting them (internal, not a public API).

A create whose answer was lost is looked up before it is reported (see ``_reached_api``): a key that
exists then was created, its one-time secret lost, and the run says so rather than fail plainly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import _errors as say
from ._api_key_plan import Plan, without_secret
from ._client import FiskalyClient
from ._errors import ApiError, CreateConflict, FiskalyError, InvalidInput, TransportError
from ._signals import held_back, raise_held
from ._wire import API


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
                raise FiskalyError(say.conflict_unreadable(desired.name), **conflict.result) from None
            if conflict.may_have_reached_api:
                raise lost_secret(desired.name, existing, say.CONFLICT_FOUND_IT) from None
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
                raise FiskalyError(say.maybe_created(failure), **failure.result) from None
            if existing is not None:
                raise lost_secret(desired.name, existing, say.request_ended_in(say.failure_label(failure))) from None
            raise
        secret = created.get(API.KEY_SECRET)
        if not isinstance(secret, str) or not secret:
            raise lost_secret(desired.name, created, say.NO_SECRET_CAME)
        return Outcome(plan, without_secret(created), secret)


def lost_secret(name: str, existing: dict, how: str) -> FiskalyError:
    return FiskalyError(say.lost_secret_message(name, how), api_key=without_secret(existing), changed=True)
