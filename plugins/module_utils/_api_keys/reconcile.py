# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reconciling API keys: carrying their plans out, or in check mode only predicting them (internal, not a public API).

A create whose answer was lost is looked up before it is reported (see ``_http.failures.may_have_reached_api``): a
key that exists then was created, its one-time secret lost, and the run says so rather than fail plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from .. import _messages as messages
from .._errors import FiskalyError, InvalidInput
from .._http.client import FiskalyClient
from .._http.failures import ApiError, CreateConflict, TransportError
from .._http.routes import ManagementApi
from .._signals import held_back, raise_held, signal_held
from .plans import UNDECLARED, Plan, without_secret


@dataclass
class Outcome:
    plan: Plan
    api_key: dict
    secret: str | None = None

    def result(self) -> dict:
        plan = self.plan
        result = {"name": plan.name, "changed": plan.changed, "action": plan.action, "api_key": self.api_key}
        if plan.desired.declared_as == UNDECLARED:
            result["undeclared"] = True
        if self.secret is not None:
            result["secret"] = self.secret
        return result


SIGNAL_POLL = 0.1  # seconds between two looks for a held signal while writes are under way


@dataclass
class FleetProgress:
    """Where the writes of a fleet stand: each plan's outcome or failure, by its place in the declaration."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)
    failures: dict[int, FiskalyError] = field(default_factory=dict)  # in the order they came
    writing: int | None = None  # the plan being written one at a time, which a signal may cut short
    kept_at_stop: int | None = None  # the secrets kept when the first failure (or a signal) stopped new writes

    def stop(self) -> None:
        """No write starts from now on: what writes under way still create comes after the stop."""
        if self.kept_at_stop is None:
            self.kept_at_stop = self.secrets_kept()

    def first_failure(self) -> FiskalyError | None:
        return next(iter(self.failures.values()), None)

    def secrets_kept(self) -> int:
        return sum(outcome.secret is not None for outcome in self.outcomes.values())


@dataclass
class Reconciler:
    client: FiskalyClient
    check_mode: bool
    progress: FleetProgress = field(default_factory=FleetProgress)

    def reconcile_all(self, plans: list[Plan]) -> FleetProgress:
        """Carry the plans out in the order declared, as many writes at a time as the client may send; raise the
        first failure.

        After a failure no write starts and those under way finish, so ``progress`` holds every outcome, and every
        secret, that came. With one request at a time (and in check mode, which writes nothing) each write waits for
        the one before.
        """
        at_once = 1 if self.check_mode else self.client.concurrency.max_concurrent_requests
        if at_once <= 1:
            self._reconcile_one_by_one(plans)
        else:
            self._reconcile_concurrently(plans, at_once)
        failure = self.progress.first_failure()
        if failure is not None:
            raise failure
        return self.progress

    def _reconcile_one_by_one(self, plans: list[Plan]) -> None:
        for index, plan in enumerate(plans):
            self.progress.writing = index
            failure = self._record(index, self.reconcile, plan)
            self.progress.writing = None
            if failure:
                return
            raise_held()  # a signal that came during this create: the outcome, and its secret, are kept now

    def _reconcile_concurrently(self, plans: list[Plan], at_once: int) -> None:
        # Signals reach the main thread only, which waits here, holding them back: one that comes is noticed between
        # two waits, and stops new writes only, so every write under way is recorded (and its secret kept) before it
        # is raised.
        running: dict[Future[Outcome], int] = {}
        upcoming = 0
        with held_back(), ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="fiskaly") as pool:
            while True:
                while (
                    upcoming < len(plans)
                    and len(running) < at_once
                    and not self.progress.failures
                    and not signal_held()
                ):
                    if plans[upcoming].changed:
                        running[pool.submit(self.reconcile, plans[upcoming], False)] = upcoming
                    else:
                        self.progress.outcomes[upcoming] = self.reconcile(plans[upcoming])  # nothing to send
                    upcoming += 1
                if not running:
                    break
                if signal_held():
                    self.progress.stop()
                # Those done together: the successes first, so that the secrets kept before a failure are all counted
                # so.
                done = wait(running, timeout=SIGNAL_POLL, return_when=FIRST_COMPLETED).done
                for future in sorted(done, key=lambda finished: finished.exception() is not None):
                    self._record(running[future], future.result)
                    del running[future]
        raise_held()

    def _record(self, index: int, outcome_of: Callable[..., Outcome], *args: Any) -> bool:
        """Record what ``outcome_of(*args)`` gives for the plan at ``index``: its outcome, or its failure (True)."""
        try:
            self.progress.outcomes[index] = outcome_of(*args)
        except FiskalyError as failure:
            self._failed(index, failure)
        except Exception as error:  # pylint: disable=broad-exception-caught  # reported like any failure, no traceback
            self._failed(index, FiskalyError.unexpected(error))
        return index in self.progress.failures

    def _failed(self, index: int, failure: FiskalyError) -> None:
        self.progress.stop()
        self.progress.failures[index] = failure

    def reconcile(self, plan: Plan, hold_signals: bool = True) -> Outcome:
        """Carry one plan out; ``hold_signals`` where it runs on the main thread, which a signal may interrupt."""
        if self.check_mode or plan.action == "none":
            return Outcome(plan, plan.predicted())
        if plan.action == "delete":
            self.client.delete_api_key(plan.matches[0])  # the one existing key (``Plan.current``)
            return Outcome(plan, {})
        if plan.action != "create":
            predicted = plan.predicted()
            metadata = predicted["metadata"] if plan.action == "update" else None
            return Outcome(plan, self.client.update_api_key(plan.matches[0], predicted["status"], metadata))
        desired = plan.desired
        holding: AbstractContextManager = held_back() if hold_signals else nullcontext()
        try:
            with holding:
                created = self.client.create_api_key(
                    plan.name, desired.kind, desired.status_to_create, desired.metadata
                )
        except CreateConflict as conflict:
            existing = self.client.get_api_key(plan.name)
            if existing is None:
                raise FiskalyError(messages.conflict_unreadable(plan.name), **conflict.result) from None
            if conflict.may_have_reached_api:
                raise lost_secret(plan.name, existing, messages.CONFLICT_FOUND_IT) from None
            # Created by someone else since we looked (another fork, say): reconcile with that key.
            replan = Plan(desired, [existing], plan.api)
            if replan.errors():
                raise InvalidInput("; ".join(replan.errors())) from None
            return self.reconcile(replan, hold_signals)
        except (TransportError, ApiError) as failure:
            # No good answer in the end, yet an attempt may have reached the API and created the key (its answer lost,
            # then 5xx or 429 to the last retry). Look, so as not to report a plain failure that a rerun would then
            # report as "unchanged", the secret silently gone. The plan saw no key of that name: one there now is the
            # one this create made (on 0.12, where names repeat, any number of them).
            if not failure.may_have_reached_api:
                raise
            try:
                found = self.client.find_api_keys(plan.name)
            except FiskalyError:
                raise FiskalyError(messages.may_have_created(failure), **failure.result) from None
            if found:
                raise lost_secret(plan.name, found[0], messages.request_ended_in(failure.ended_in)) from None
            raise
        secret = created.get(ManagementApi.KEY_SECRET)
        if not isinstance(secret, str) or not secret:
            raise lost_secret(plan.name, created, messages.NO_SECRET_CAME)
        return Outcome(plan, without_secret(created), secret)


class SecretLost(FiskalyError):
    """The key was created, but its one-time secret never came: it counts as created, and the run fails to say so."""


def lost_secret(name: str, existing: dict, how: str) -> SecretLost:
    return SecretLost(messages.lost_secret_message(name, how), api_key=without_secret(existing), changed=True)
