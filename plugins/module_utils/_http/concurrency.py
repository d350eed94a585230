# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Requests in flight: how many, adapted to the API's rate limit, and calls run several at a time, their results
taken in order (internal to this collection, not a public API).

At most ``max_concurrent_requests`` (the option the user sets) are in flight; fewer are ``allowed`` while the API
answers 429. AIMD, the congestion control of TCP: a 429 halves ``allowed`` (multiplicative decrease) and pauses every
request for as long as ``Retry-After`` says; each run of ``allowed`` answers that were no 429 raises it by
one again (additive increase), up to ``max_concurrent_requests``. AIMD rather than the CUBIC of the AWS
SDKs' adaptive mode, or a fixed rate: it needs no estimate of the API's limit, and several runs that share
one account's limit (the forks of a play, parallel CI jobs) converge on fair shares of it instead of taking
turns at starving each other. One 429 per window of requests counts: those already in flight when ``allowed``
fell were sent under the old one, and halving again for each of them would drop straight to one.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

Result = TypeVar("Result")
if TYPE_CHECKING:
    # What gives each call its arguments, or None for no more calls.
    NextItem = Callable[[], "tuple | None"]


class Slot:
    """One request's place among those in flight: which window of ``allowed`` it was sent in, and whether it is in."""

    def __init__(self, owner: AdaptiveConcurrency) -> None:
        self._owner = owner
        self.window = owner.window
        self.had_company = False  # whether another request was in flight at some time during this attempt
        self.inside = False

    def rate_limited(self, retry_after: float | None) -> bool:
        """The API answered 429: lower ``allowed`` and pause. True where another request was in flight during this
        attempt: sending more than one at a time is then the likely cause, and the request pays no retry for it."""
        self._owner.rate_limited(self.window, retry_after)
        return self.had_company

    def step_out(self) -> None:
        """Leave the requests in flight while the request waits to be retried: the wait sends nothing."""
        self._owner.leave(self)

    def step_in(self) -> None:
        """Come back, once ``allowed`` lets it in and after any pause, for the next attempt."""
        self._owner.enter(self)

    @contextmanager
    def outside(self) -> Iterator[None]:
        """Out of the requests in flight while the request waits to be retried, back for the next attempt."""
        self.step_out()
        try:
            yield
        finally:
            self.step_in()


class AdaptiveConcurrency:
    """At most ``allowed`` requests in flight; ``allowed`` moves between 1 and ``max_concurrent_requests`` (AIMD, see
    the module)."""

    def __init__(self, max_concurrent_requests: int) -> None:
        self.max_concurrent_requests = max(1, max_concurrent_requests)
        self.allowed = self.max_concurrent_requests
        self.in_flight = 0
        self.decreases = 0  # how often a 429 lowered ``allowed``, for the tests and the curious
        self._successes = 0
        self._window = 0
        self._resume_at = 0.0
        self._inside: set[Slot] = set()
        self._changed = threading.Condition()

    @property
    def window(self) -> int:
        return self._window

    @contextmanager
    def slot(self) -> Iterator[Slot]:
        """Wait for a pause to end and for a place among those ``allowed``; hold it while the request runs."""
        held = Slot(self)
        try:
            self.enter(held)
            yield held
        finally:
            self.leave(held)

    def enter(self, slot: Slot) -> None:
        with self._changed:
            while True:
                pause = self._resume_at - time.monotonic()
                if pause > 0:
                    self._changed.wait(pause)
                elif self.in_flight >= self.allowed:
                    self._changed.wait()
                else:
                    break
            self.in_flight += 1
            slot.inside = True
            slot.window = self._window
            slot.had_company = False
            self._inside.add(slot)
            if len(self._inside) > 1:
                for other in self._inside:
                    other.had_company = True

    def leave(self, slot: Slot) -> None:
        with self._changed:
            if slot.inside:
                slot.inside = False
                self._inside.discard(slot)
                self.in_flight -= 1
                self._changed.notify_all()

    def answered(self) -> None:
        """An answer that was no 429: one step towards more requests ``allowed``."""
        with self._changed:
            self._successes += 1
            if self._successes >= self.allowed and self.allowed < self.max_concurrent_requests:
                self.allowed += 1
                self._successes = 0
                self._changed.notify_all()

    def rate_limited(self, window: int, retry_after: float | None) -> None:
        """Pause, and halve ``allowed`` once per window."""
        with self._changed:
            if retry_after:
                self._resume_at = max(self._resume_at, time.monotonic() + retry_after)
            if window == self._window:
                self.allowed = max(1, self.allowed // 2)
                self._window += 1
                self._successes = 0
                self.decreases += 1
            self._changed.notify_all()


# -- calls run several at a time, their results taken in order ----------------------------------------------------


def results_in_order(function: Callable[..., Result], items: Iterable[tuple], at_once: int) -> Iterator[Result]:
    """Yield ``function(*item)`` for each item, in the order of ``items``, with up to ``at_once`` calls running at
    once.

    With one at a time, or one item, every call runs here, one after another. Once the caller stops (a result it did not
    want, or an error raised here) no further call starts, and those running finish before this returns.
    """
    items = list(items)
    return results_ahead(function, iter(items).__next__, at_once if len(items) > 1 else 1, len(items))


def results_ahead(
    function: Callable[..., Result], next_item: NextItem, at_once: int, ahead: int | None = None
) -> Generator[Result, None, None]:
    """Yield ``function(*item)`` in order for each ``item`` that ``next_item()`` gives, until it raises StopIteration or
    gives None while no call is pending.

    At most ``at_once`` calls run at once, and at most ``ahead`` calls (``at_once`` unless given) are ahead of the
    result the caller holds: ``next_item`` is asked again only once the caller has taken a result, so it can decide
    from what came so far (a page's count, say), and what an answer announces never decides how much is asked at once.
    With one at a time every call runs here.
    """
    ahead = at_once if ahead is None else max(1, ahead)
    if at_once <= 1:
        while True:
            item = _take(next_item)
            if item is None:
                return
            yield function(*item)
    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="fiskaly") as pool:
        pending: deque[Future[Result]] = deque()
        try:
            while True:
                while len(pending) < ahead:
                    item = _take(next_item)
                    if item is None:
                        break
                    pending.append(pool.submit(function, *item))
                if not pending:
                    return
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _take(next_item: NextItem) -> tuple | None:
    try:
        return next_item()
    except StopIteration:
        return None
