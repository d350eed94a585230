# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How many requests a client keeps in flight, adapted to the API's rate limit (internal, not a public API).

AIMD, the congestion control of TCP: a 429 halves the limit (multiplicative decrease) and pauses every
request for as long as ``Retry-After`` says; each run of ``limit`` answers that were no 429 raises it by
one again (additive increase), up to the ceiling the user chose. AIMD rather than the CUBIC of the AWS
SDKs' adaptive mode, or a fixed rate: it needs no estimate of the API's limit, and several runs that share
one account's limit (the forks of a play, parallel CI jobs) converge on fair shares of it instead of taking
turns at starving each other. One 429 per window of requests counts: those already in flight when the limit
fell were sent under the old one, and halving again for each of them would drop straight to one.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager


class Slot:
    """One request's place among those in flight: which window of the limit it was sent in, and whether it is in."""

    def __init__(self, owner: AdaptiveConcurrency):
        self._owner = owner
        self.window = owner.window
        self.had_company = False  # whether another request was in flight at some time during this attempt
        self.inside = False

    def rate_limited(self, retry_after: float | None) -> bool:
        """The API answered 429: lower the limit and pause. True where another request was in flight during this attempt:
        sending more than one at a time is then the likely cause, and the request pays no retry for it."""
        self._owner.rate_limited(self.window, retry_after)
        return self.had_company

    def step_out(self) -> None:
        """Leave the requests in flight while the request waits to be retried: the wait sends nothing."""
        self._owner.leave(self)

    def step_in(self) -> None:
        """Come back, under the limit and after any pause, for the next attempt."""
        self._owner.enter(self)


class AdaptiveConcurrency:
    """At most ``limit`` requests in flight; ``limit`` moves between 1 and ``ceiling`` (AIMD, see the module)."""

    def __init__(self, ceiling: int):
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self.in_flight = 0
        self.decreases = 0  # how often a 429 lowered the limit, for the tests and the curious
        self._successes = 0
        self._window = 0
        self._resume_at = 0.0
        self._inside: set[Slot] = set()
        self._changed = threading.Condition()

    @property
    def window(self) -> int:
        return self._window

    @contextmanager
    def slot(self):
        """Wait for a pause to end and for a place under the limit; hold it while the request runs."""
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
                elif self.in_flight >= self.limit:
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
        """An answer that was no 429: one step towards a higher limit."""
        with self._changed:
            self._successes += 1
            if self._successes >= self.limit and self.limit < self.ceiling:
                self.limit += 1
                self._successes = 0
                self._changed.notify_all()

    def rate_limited(self, window: int, retry_after: float | None) -> None:
        """Pause, and halve the limit once per window."""
        with self._changed:
            if retry_after:
                self._resume_at = max(self._resume_at, time.monotonic() + retry_after)
            if window == self._window:
                self.limit = max(1, self.limit // 2)
                self._window += 1
                self._successes = 0
                self.decreases += 1
            self._changed.notify_all()
