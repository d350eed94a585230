# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AIMD on 429: the limit halves once per window of requests, grows by one per run of good answers, and every request
waits out Retry-After; a 429 with other requests in flight costs the request no retry, one alone does."""

from __future__ import annotations

import threading
import time

from urllib3.response import HTTPResponse

from ansible_collections.fiskaly.management.plugins.module_utils._adaptive_concurrency import AdaptiveConcurrency
from ansible_collections.fiskaly.management.plugins.module_utils._retry import build_retry


def test_a_429_halves_the_limit_once_for_the_requests_sent_under_it():
    limit = AdaptiveConcurrency(8)
    with limit.slot() as first, limit.slot() as second, limit.slot() as third:
        assert first.rate_limited(None) is True and limit.limit == 4
        # Sent under the limit of 8 too: no further halving for them.
        assert second.rate_limited(None) is True and third.rate_limited(None) is True and limit.limit == 4
    with limit.slot() as later:
        later.rate_limited(None)
    assert limit.limit == 2 and limit.decreases == 2


def test_the_limit_never_falls_below_one_and_a_lone_request_is_not_shared():
    limit = AdaptiveConcurrency(2)
    for _round in range(3):
        with limit.slot() as alone:
            assert alone.rate_limited(None) is False  # nothing else in flight: concurrency is not the cause
    assert limit.limit == 1


def test_good_answers_raise_the_limit_by_one_per_window_up_to_the_ceiling():
    limit = AdaptiveConcurrency(4)
    with limit.slot() as slot:
        slot.rate_limited(None)
    assert limit.limit == 2
    limit.answered()
    assert limit.limit == 2  # one answer of a window of two
    limit.answered()
    assert limit.limit == 3
    for _answer in range(20):
        limit.answered()
    assert limit.limit == 4  # the ceiling the user chose


def test_no_more_requests_in_flight_than_the_limit():
    limit = AdaptiveConcurrency(3)
    peak, current, lock = [0], [0], threading.Lock()

    def request():
        with limit.slot():
            with lock:
                current[0] += 1
                peak[0] = max(peak[0], current[0])
            time.sleep(0.02)
            with lock:
                current[0] -= 1

    threads = [threading.Thread(target=request) for _thread in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 3


def test_retry_after_holds_back_every_new_request():
    limit = AdaptiveConcurrency(4)
    with limit.slot() as slot:
        slot.rate_limited(0.3)
    started = time.monotonic()
    with limit.slot():
        waited = time.monotonic() - started
    assert waited >= 0.25


def rate_limited_answer() -> HTTPResponse:
    return HTTPResponse(status=429, headers={"Retry-After": "0"}, preload_content=False)


def test_a_429_among_other_requests_costs_no_retry_and_one_alone_does():
    limit = AdaptiveConcurrency(4)
    with limit.slot() as slot, limit.slot():
        shared = build_retry(2, 60, slot=slot).increment("PUT", "/api_keys/a", response=rate_limited_answer())
    assert shared.total == 2 and shared.status == 2 and len(shared.history) == 1
    with limit.slot() as slot:
        alone = build_retry(2, 60, slot=slot).increment("PUT", "/api_keys/a", response=rate_limited_answer())
    assert alone.total == 1 and alone.status == 1
