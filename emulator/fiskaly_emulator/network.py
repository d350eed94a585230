# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Network conditions of the API: a latency added to every answer and a rate limit (a token bucket)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

MAX_LATENCY = 60.0
# Far above what one emulator serves; only there so that the number stays a sane one.
MAX_RATE_LIMIT = 1_000_000
# The default of "leave as it is": None already means "no rate limit".
UNCHANGED: Any = object()


def check_latency(value: Any) -> float:
    """Return a valid latency in seconds (0 to 60); raise ValueError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 <= value <= MAX_LATENCY
    ):
        raise ValueError(f"latency must be a number of seconds from 0 to {MAX_LATENCY:g}")
    return float(value)


def check_rate_limit(value: Any) -> int | None:
    """Return a valid rate limit in requests per second, or None for none; raise ValueError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RATE_LIMIT:
        raise ValueError(
            f"rate_limit must be an integer number of requests per second from 1 to {MAX_RATE_LIMIT}, "
            "or null for no limit"
        )
    return value


class TokenBucket:  # pylint: disable=too-few-public-methods
    """Holds up to ``rate`` tokens (one second's worth) and gains ``rate`` per second; not thread-safe on its own."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = float(rate)
        self._updated = clock()

    def take(self) -> float:
        """Take one token and return 0.0, or take none and return the seconds until one is there."""
        now = self._clock()
        self._tokens = min(float(self.rate), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


@dataclass(frozen=True)
class Admission:
    """What the network does to one API request: how long its answer takes, and the Retry-After of a 429 (None: let
    through)."""

    latency: float
    retry_after: int | None
    rate_limit: int | None


class Network:
    """The current latency and rate limit, changeable while requests are served."""

    def __init__(self, latency: float = 0.0, rate_limit: int | None = None) -> None:
        self._lock = threading.Lock()
        self._latency = check_latency(latency)
        limit = check_rate_limit(rate_limit)
        self._bucket = TokenBucket(limit) if limit is not None else None

    def configure(self, latency: float = UNCHANGED, rate_limit: int | None = UNCHANGED) -> None:
        """Set either or both, all or nothing; a rate limit given (even the same one) starts with a full bucket."""
        latency = check_latency(latency) if latency is not UNCHANGED else UNCHANGED
        rate_limit = check_rate_limit(rate_limit) if rate_limit is not UNCHANGED else UNCHANGED
        with self._lock:
            if latency is not UNCHANGED:
                self._latency = latency
            if rate_limit is not UNCHANGED:
                self._bucket = TokenBucket(rate_limit) if rate_limit is not None else None

    def settings(self) -> dict[str, Any]:
        """Return {"latency": seconds, "rate_limit": requests per second or None}."""
        with self._lock:
            return {"latency": self._latency, "rate_limit": self._bucket.rate if self._bucket is not None else None}

    def admit(self) -> Admission:
        """Take a token for a request that just arrived."""
        with self._lock:
            if self._bucket is None:
                return Admission(self._latency, None, None)
            wait = self._bucket.take()
            # Whole seconds, rounded up: urllib3 reads only integer delay-seconds, and an early retry would be refused
            # again.
            return Admission(self._latency, max(1, math.ceil(wait)) if wait > 0 else None, self._bucket.rate)
