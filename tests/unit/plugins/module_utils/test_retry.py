# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the retry policy that the client mounts on its Session."""

from __future__ import annotations

import signal
import time

import pytest
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError, SSLError
from urllib3.response import HTTPResponse

from ansible_collections.fiskaly.management.plugins.module_utils._http.attempt_clock import AttemptClock, AttemptTimeout
from ansible_collections.fiskaly.management.plugins.module_utils._http.retry import (
    RETRY_AFTER_CAP,
    RETRY_STATUSES,
    build_retry,
)


def response(status: int, retry_after: str | None = None) -> HTTPResponse:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return HTTPResponse(body=b"", status=status, headers=headers, preload_content=False)


def test_the_transient_statuses_are_retried_for_every_method():
    policy = build_retry(5, 60)
    assert RETRY_STATUSES == {429, 500, 502, 503, 504}
    for method in ("GET", "PUT", "PATCH", "POST"):
        for status in RETRY_STATUSES:
            assert policy.is_retry(method, status, has_retry_after=False)
        assert (
            not policy.is_retry(method, 400) and not policy.is_retry(method, 409) and not policy.is_retry(method, 401)
        )


def test_retry_after_is_honoured_and_capped():
    policy = build_retry(5, 600)
    assert policy.get_retry_after(response(429, "2")) == 2
    assert policy.get_retry_after(response(429, "3600")) == RETRY_AFTER_CAP
    assert policy.get_retry_after(response(503)) is None


def test_retry_after_never_outlasts_the_deadline():
    assert build_retry(5, 1.5).get_retry_after(response(429, "20")) <= 1.5


def test_backoff_grows_with_jitter_and_stays_within_the_deadline():
    policy = build_retry(8, 600)
    for _attempt in range(4):
        policy = policy.increment("GET", "/x", response=response(503))
    waits = {policy.get_backoff_time() for _sample in range(50)}
    assert len(waits) > 1, "jitter makes waits differ"
    assert all(0 <= wait <= 0.5 * 2**3 for wait in waits)


def test_attempts_are_bounded():
    policy = build_retry(2, 600)
    policy = policy.increment("PUT", "/x", response=response(502))
    policy = policy.increment("PUT", "/x", error=ReadTimeoutError(None, "/x", "read timed out"))
    with pytest.raises(MaxRetryError):
        policy.increment("PUT", "/x", response=response(502))


def test_total_time_is_bounded():
    policy = build_retry(100, 0.05)
    policy = policy.increment("GET", "/x", response=response(503))
    time.sleep(0.06)
    with pytest.raises(MaxRetryError):
        policy.increment("GET", "/x", response=response(503))


def test_the_budget_carries_over_to_each_attempt():
    policy = build_retry(5, 42)
    later = policy.increment("GET", "/x", response=response(503))
    assert later.deadline == 42 and later.started == policy.started


def test_tls_failures_are_not_retried():
    with pytest.raises(MaxRetryError):
        build_retry(5, 60).increment("GET", "/x", error=SSLError("certificate verify failed"))


def test_a_name_that_does_not_exist_is_not_asked_again():
    with pytest.raises(MaxRetryError):
        build_retry(5, 60).increment(
            "GET", "/x", error=NewConnectionError(None, "Failed to resolve: [Errno -2] Name or service not known")
        )


def test_a_resolver_that_is_only_slow_is_asked_again():
    later = build_retry(5, 60).increment(
        "GET", "/x", error=NewConnectionError(None, "[Errno -3] Temporary failure in name resolution")
    )
    assert len(later.history) == 1


@pytest.mark.parametrize("value", ["soon", "1.5", "-1", "", " ", "0x10", "Mon, 32 Foo 2020 99:99:99 GMT"])
def test_a_malformed_retry_after_counts_as_none_and_the_backoff_applies(monkeypatch, value):
    policy = build_retry(5, 60)
    assert policy.get_retry_after(response(429, value)) is None
    waits = []
    monkeypatch.setattr(time, "sleep", waits.append)
    policy.increment("GET", "/x", response=response(429, value)).sleep(response(429, value))
    assert len(waits) == 1 and 0 <= waits[0] <= 0.5  # the first jittered backoff, not an error


def test_a_retry_after_date_is_still_honoured():
    assert build_retry(5, 600).get_retry_after(response(503, "Wed, 21 Oct 2015 07:28:00 GMT")) == 0


def test_the_attempt_clock_ends_an_attempt_that_takes_too_long():
    started = time.monotonic()
    with pytest.raises(AttemptTimeout, match=r"no whole answer within timeout \(0.2 s\)"):
        with AttemptClock(0.2).running():
            time.sleep(5)  # a read that each piece of a trickle would keep alive
    assert 0.15 < time.monotonic() - started < 2


def test_the_attempt_clock_leaves_no_timer_and_no_handler_behind():
    before = signal.getsignal(signal.SIGALRM)
    with AttemptClock(0.2).running():
        pass
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    time.sleep(0.3)  # nothing fires


def test_the_wait_between_attempts_is_no_part_of_either(monkeypatch):
    clock = AttemptClock(1)
    policy = build_retry(5, 60, clock).increment("GET", "/x", response=response(503))
    monkeypatch.setattr(policy, "get_backoff_time", lambda: 1.5)
    with clock.running():
        time.sleep(0.1)
        policy.sleep()  # 1.5 s: longer than an attempt may take, without AttemptTimeout
        time.sleep(0.3)  # the next attempt's clock started afresh after the wait
        with pytest.raises(AttemptTimeout):
            time.sleep(3)


def test_the_clock_passes_to_every_later_attempt():
    clock = AttemptClock(1)
    assert build_retry(5, 60, clock).increment("GET", "/x", response=response(503)).clock is clock
