# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AIMD on 429: the limit halves once per window of requests, grows by one per run of good answers, and every request
waits out Retry-After; a 429 with other requests in flight costs the request no retry, one alone does."""

from __future__ import annotations

import threading
import time

from urllib3.response import HTTPResponse

from ansible_collections.fiskaly.management.plugins.module_utils._http.concurrency import AdaptiveConcurrency
from ansible_collections.fiskaly.management.plugins.module_utils._http.retry import build_retry


def test_a_429_halves_the_limit_once_for_the_requests_sent_under_it():
    limit = AdaptiveConcurrency(8)
    with limit.slot() as first, limit.slot() as second, limit.slot() as third:
        assert first.rate_limited(None) is True and limit.allowed == 4
        # Sent under the limit of 8 too: no further halving for them.
        assert second.rate_limited(None) is True and third.rate_limited(None) is True and limit.allowed == 4
    with limit.slot() as later:
        later.rate_limited(None)
    assert limit.allowed == 2 and limit.decreases == 2


def test_the_limit_never_falls_below_one_and_a_request_alone_pays_its_retry():
    limit = AdaptiveConcurrency(2)
    with limit.slot() as first, limit.slot():
        assert first.rate_limited(None) is True  # another request was in flight
    for _round in range(2):
        with limit.slot() as alone:
            assert alone.rate_limited(None) is False  # alone: as in a sequential run, it pays a retry
    assert limit.allowed == 1


def test_good_answers_raise_the_limit_by_one_per_window_up_to_the_ceiling():
    limit = AdaptiveConcurrency(4)
    with limit.slot() as slot:
        slot.rate_limited(None)
    assert limit.allowed == 2
    limit.answered()
    assert limit.allowed == 2  # one answer of a window of two
    limit.answered()
    assert limit.allowed == 3
    for _answer in range(20):
        limit.answered()
    assert limit.allowed == 4  # the ceiling the user chose


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


def test_a_request_waiting_to_be_retried_is_not_in_flight_and_comes_back_under_the_limit():
    limit = AdaptiveConcurrency(2)
    with limit.slot() as waiting:
        with limit.slot() as other:
            other.rate_limited(None)  # the limit falls to 1
            waiting.step_out()
            assert limit.in_flight == 1
            came_back = threading.Event()
            thread = threading.Thread(target=lambda: (waiting.step_in(), came_back.set()))
            thread.start()
            assert not came_back.wait(0.2)  # the other request holds the one place left
        thread.join(timeout=5)
        assert came_back.is_set() and limit.in_flight == 1
    assert limit.in_flight == 0
