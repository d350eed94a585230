# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AIMD on 429: the concurrency halves once per window of requests, grows by one per run of good answers, and every request
waits out Retry-After; a 429 with other requests in flight costs the request no retry, one alone does."""

from __future__ import annotations

import threading
import time

from urllib3.response import HTTPResponse

from ansible_collections.fiskaly.management.plugins.module_utils._http.concurrency import AdaptiveConcurrency
from ansible_collections.fiskaly.management.plugins.module_utils._http.retry import build_retry


def test_a_429_halves_allowed_once_for_the_requests_sent_under_it():
    concurrency = AdaptiveConcurrency(8)
    with concurrency.slot() as first, concurrency.slot() as second, concurrency.slot() as third:
        assert first.rate_limited(None) is True and concurrency.allowed == 4
        # Sent under the concurrency of 8 too: no further halving for them.
        assert second.rate_limited(None) is True and third.rate_limited(None) is True and concurrency.allowed == 4
    with concurrency.slot() as later:
        later.rate_limited(None)
    assert concurrency.allowed == 2 and concurrency.decreases == 2


def test_allowed_never_falls_below_one_and_a_request_alone_pays_its_retry():
    concurrency = AdaptiveConcurrency(2)
    with concurrency.slot() as first, concurrency.slot():
        assert first.rate_limited(None) is True  # another request was in flight
    for _round in range(2):
        with concurrency.slot() as alone:
            assert alone.rate_limited(None) is False  # alone: as in a sequential run, it pays a retry
    assert concurrency.allowed == 1


def test_good_answers_raise_allowed_by_one_per_window_up_to_max_concurrent_requests():
    concurrency = AdaptiveConcurrency(4)
    with concurrency.slot() as slot:
        slot.rate_limited(None)
    assert concurrency.allowed == 2
    concurrency.answered()
    assert concurrency.allowed == 2  # one answer of a window of two
    concurrency.answered()
    assert concurrency.allowed == 3
    for _answer in range(20):
        concurrency.answered()
    assert concurrency.allowed == 4  # max_concurrent_requests, as the user chose


def test_no_more_requests_in_flight_than_allowed():
    concurrency = AdaptiveConcurrency(3)
    peak, current, lock = [0], [0], threading.Lock()

    def request():
        with concurrency.slot():
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
    concurrency = AdaptiveConcurrency(4)
    with concurrency.slot() as slot:
        slot.rate_limited(0.3)
    started = time.monotonic()
    with concurrency.slot():
        waited = time.monotonic() - started
    assert waited >= 0.25


def rate_limited_answer() -> HTTPResponse:
    return HTTPResponse(status=429, headers={"Retry-After": "0"}, preload_content=False)


def test_a_429_among_other_requests_costs_no_retry_and_one_alone_does():
    concurrency = AdaptiveConcurrency(4)
    with concurrency.slot() as slot, concurrency.slot():
        shared = build_retry(2, 60, slot=slot).increment("PUT", "/api_keys/a", response=rate_limited_answer())
    assert shared.total == 2 and shared.status == 2 and len(shared.history) == 1
    with concurrency.slot() as slot:
        alone = build_retry(2, 60, slot=slot).increment("PUT", "/api_keys/a", response=rate_limited_answer())
    assert alone.total == 1 and alone.status == 1


def test_a_request_waiting_to_be_retried_is_not_in_flight_and_comes_back_under_the_limit():
    concurrency = AdaptiveConcurrency(2)
    with concurrency.slot() as waiting:
        with concurrency.slot() as other:
            other.rate_limited(None)  # the concurrency falls to 1
            waiting.step_out()
            assert concurrency.in_flight == 1
            came_back = threading.Event()
            thread = threading.Thread(target=lambda: (waiting.step_in(), came_back.set()))
            thread.start()
            assert not came_back.wait(0.2)  # the other request holds the one place left
        thread.join(timeout=5)
        assert came_back.is_set() and concurrency.in_flight == 1
    assert concurrency.in_flight == 0
