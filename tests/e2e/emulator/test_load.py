# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: concurrency guarantees, keep-alive and the server's own handling time."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from wire import call

from fiskaly_emulator import Emulator


def test_concurrent_creates_of_one_name(emulator: Emulator) -> None:
    token = emulator.issue_token()
    barrier = threading.Barrier(20)

    def create(_index: int) -> int:
        barrier.wait()
        return call(
            emulator, "PUT", "/api_keys/race", token, json={"kind": "test", "status": "enabled"}, timeout=20
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(create, range(20)))
    assert statuses == [200] + [409] * 19
    assert emulator.create_count("race") == 1 and list(emulator.keys()) == ["race"]


def test_concurrent_creates_of_many_names(emulator: Emulator) -> None:
    token = emulator.issue_token()

    def create(index: int) -> int:
        return call(
            emulator, "PUT", f"/api_keys/pos-{index:03d}", token, json={"kind": "live", "status": "enabled"}, timeout=20
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert set(pool.map(create, range(100))) == {200}
    assert len(emulator.keys()) == 100 and emulator.stats()["creates"] == 100


def test_thousand_keep_alive_requests(emulator: Emulator) -> None:
    emulator.seed_keys([{"name": "bench-key", "kind": "test", "status": "enabled"}])
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    url = emulator.base_url + "/api_keys/bench-key"
    with requests.Session() as session:
        for _request in range(1000):
            response = session.get(url, headers=headers, verify=emulator.ca_path, timeout=10)
            assert response.status_code == 200
    stats = emulator.stats()
    assert stats["requests"] == 1000
    # Reported, not asserted: timing depends on the machine.
    print(f"\nemulator handler_seconds for 1000 keep-alive GETs: {stats['handler_seconds']:.4f}")
