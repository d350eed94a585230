# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The retry policy of a request, and the adapter that holds each thread's own (internal, not a public API).

urllib3's ``Retry`` mounted on the requests adapter does the retrying; this subclass only adds
what it lacks on urllib3 1.26 and 2.x: a cap on ``Retry-After`` (and a malformed one taken for none),
jitter, and a bound on the total time one request may spend retrying. It asks two things below it and
neither knows of it: the ``AttemptClock`` (``attempt_clock``), paused while the policy waits between two
attempts, and the request's ``Slot`` among the requests in flight (``concurrency``), left while it waits and
asked on each 429 whether other requests were in flight: a 429 that came while several were lowers their number
and costs the request none of its retries, so that a run that would succeed sent one request at a time never
fails for having sent more.
"""

from __future__ import annotations

import random
import threading
import time
from contextlib import ExitStack
from typing import Any

try:
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import InvalidHeader, MaxRetryError
    from urllib3.util.retry import Retry
except ImportError:  # requests (and with it urllib3) missing: the client reports it via missing_required_lib
    Retry = HTTPAdapter = object  # type: ignore[assignment,misc]

from .attempt_clock import AttemptClock
from .concurrency import Slot
from .failures import MAY_HAVE_REACHED_API_STATUSES

# 429: rate limited (the contract says it carries Retry-After).
# 500, 502, 503, 504: transient server or gateway faults, "the same request may succeed later".
RATE_LIMITED = 429
RETRY_STATUSES = frozenset((RATE_LIMITED, 500, 502, 503, 504))

# What resolvers say of a name that does not exist (glibc, macOS); "Temporary failure" is retried.
PERMANENT_DNS_FAILURES = ("Name or service not known", "nodename nor servname provided")

# Longest single wait, whatever Retry-After asks for: a run should fail rather than hang.
RETRY_AFTER_CAP = 30.0


class DeadlineRetry(Retry):
    """A urllib3 Retry with jitter, a capped Retry-After, a total time budget, and an attempt clock paused between
    attempts."""

    def __init__(
        self,
        *args: Any,
        deadline: float = 60.0,
        started: float | None = None,
        clock: AttemptClock | None = None,
        slot: Slot | None = None,
        tally: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.started = time.monotonic() if started is None else started
        self.clock = clock
        self.slot = slot
        # How many attempts failed, shared by every copy of this policy (urllib3 makes a new one for each attempt): a
        # failure after retries says how many attempts it made.
        self.tally = [0] if tally is None else tally

    def new(self, **kw: Any) -> DeadlineRetry:
        kw.setdefault("tally", self.tally)
        kw.setdefault("deadline", self.deadline)
        kw.setdefault("started", self.started)
        kw.setdefault("clock", self.clock)
        kw.setdefault("slot", self.slot)
        return super().new(**kw)

    def sleep(self, response: Any = None) -> None:
        # The wait before the next attempt belongs to no attempt, nor to the requests in flight; the next attempt
        # starts when it ends, once the requests allowed in flight let it in.
        with ExitStack() as between_attempts:
            if self.clock is not None:
                between_attempts.enter_context(self.clock.paused())
            if self.slot is not None:
                between_attempts.enter_context(self.slot.outside())
            super().sleep(response)

    def remaining(self) -> float:
        return max(0.0, self.deadline - (time.monotonic() - self.started))

    def get_backoff_time(self) -> float:
        # Full jitter keeps many forks that failed together from retrying together; urllib3 would
        # not wait at all before the first retry, so the first wait is jittered too.
        base = max(super().get_backoff_time(), self.backoff_factor)
        return min(random.uniform(0, base), self.remaining())

    def get_retry_after(self, response: Any) -> float | None:
        try:
            retry_after = super().get_retry_after(response)
        except (InvalidHeader, ValueError, OverflowError, TypeError):
            # "soon", "1.5", "-1", an empty value: taken for no Retry-After at all, so the backoff applies. urllib3
            # would raise InvalidHeader, which requests reports as a fault of the request's headers and which ends the
            # retrying.
            return None
        if retry_after is None:
            return None
        return min(retry_after, RETRY_AFTER_CAP, self.remaining())

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> DeadlineRetry:
        self.tally[0] += 1
        if error is not None and any(text in str(error) for text in PERMANENT_DNS_FAILURES):
            # The resolver said the name does not exist: asking again cannot help, unlike a resolver timeout.
            raise MaxRetryError(_pool, url, error)
        policy = self
        if response is not None and response.status == RATE_LIMITED and self.slot is not None:
            in_company = self.slot.rate_limited(self.get_retry_after(response))
            if in_company and isinstance(self.total, int) and isinstance(self.status, int):
                # This attempt is on the requests in flight, not on the request.
                policy = self.new(total=self.total + 1, status=self.status + 1)
        return super(DeadlineRetry, policy).increment(method, url, response, error, _pool, _stacktrace)

    def is_exhausted(self) -> bool:
        # Out of time counts as out of attempts, so urllib3 raises or returns the last answer.
        return super().is_exhausted() or (bool(self.history) and self.remaining() <= 0)


def build_retry(
    retries: int,
    deadline: float,
    clock: AttemptClock | None = None,
    slot: Slot | None = None,
    *,
    idempotent: bool = True,
) -> DeadlineRetry:
    """The policy for one request: ``retries`` further attempts within ``deadline`` seconds, ``clock`` paused between
    two, each 429 reported to the ``slot`` the request holds.

    A request that is not ``idempotent`` (0.12's create, a ``POST``) is repeated only after an attempt that cannot have
    been carried out: one that never connected, or that the API turned away (429, 503). A lost answer or a server
    fault (see ``failures.MAY_HAVE_REACHED_API_STATUSES``) ends it, and the caller looks for what it may have done.
    """
    return DeadlineRetry(
        total=retries,
        connect=retries,
        read=retries if idempotent else 0,
        status=retries,
        other=0,
        # Every method: POST /auth only mints a token, PATCH sets absolute values, DELETE of a deleted key answers 404,
        # and the draft's repeated PUT answers 409, which the client recognises as a create whose answer was lost.
        allowed_methods=None,
        status_forcelist=RETRY_STATUSES if idempotent else RETRY_STATUSES - MAY_HAVE_REACHED_API_STATUSES,
        backoff_factor=0.5,
        respect_retry_after_header=True,
        # Hand the last error answer back, so the API's own message reaches the user.
        raise_on_status=False,
        deadline=deadline,
        clock=clock,
        slot=slot,
    )


# -- each thread's own policy ----------------------------------------------------------------------------------
# requests takes the policy from the adapter, shared by every thread of the Session; each request has a policy of
# its own (its time budget, its attempt clock, its place among the requests in flight), so each thread sets its own.


class PerThreadRetryAdapter(HTTPAdapter):
    """``max_retries`` as each thread set it; a thread that set none gets the policy given when the adapter was made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._local = threading.local()
        self._shared_policy: DeadlineRetry | None = None
        super().__init__(*args, **kwargs)

    @property
    def max_retries(self) -> Any:  # the DeadlineRetry this thread set, or the one shared
        return getattr(self._local, "policy", self._shared_policy)

    @max_retries.setter
    def max_retries(self, policy: Any) -> None:
        if self._shared_policy is None:
            self._shared_policy = policy
        self._local.policy = policy
