# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A listing while the account changes (issue 18, point 2): a key that existed from the listing's start to its end is
never left out, at 1, 10 and 100 pages in flight. The emulator changes the account right after a given page
(deterministic), or another thread creates keys all along; only an account that keeps changing while the listing is
read again is reported, with a warning and listing_changed."""

from __future__ import annotations

import random
import threading
import time

import pytest

from harness import report

INFO = "fiskaly.management.fiskaly_api_key_info"
IN_FLIGHT = [1, 10, 100]


def seed(emulator, count: int) -> list[str]:
    names = [f"key-{number:04d}" for number in range(count)]
    emulator.seed_keys([{"name": name, "kind": "test", "status": "enabled"} for name in names])
    return names


def listing(ansible, concurrency: int, **params):
    task = {"name": "list", INFO: {"order_by": "name", "max_concurrent_requests": concurrency, **params}}
    run = ansible.playbook([task], verbosity=0)
    assert run.status("list") == "ok", run.task("list")
    return run.task("list")


def pages_read(emulator) -> list[int]:
    return [int(entry["query"]["offset"][0]) for entry in emulator.requests("GET") if entry["path"] == "/api_keys"]


@pytest.mark.parametrize("concurrency", IN_FLIGHT)
def test_a_key_deleted_after_the_first_page_moves_no_other_key_out_of_the_listing(ansible, emulator, concurrency):
    names = seed(emulator, 1000)
    # Right after the first page: key-0100 moves onto the first page, which was read before it moved.
    emulator.change_after_page(0, [{"delete": ["key-0000"]}])

    result = listing(ansible, concurrency)

    listed = [key["name"] for key in result["api_keys"]]
    assert sorted(listed) == names and len(listed) == len(set(listed))  # key-0000 was listed before it went: it stays
    assert "listing_changed" not in result and not result.get("warnings")
    assert pages_read(emulator).count(0) == 2  # the count changed: read again, one page at a time
    report(
        "concurrency",
        f"key deleted after the first page, {concurrency} in flight",
        "read again; no key left out, no warning",
    )


@pytest.mark.parametrize("concurrency", IN_FLIGHT)
def test_a_listing_read_again_keeps_to_its_limit_and_its_order(ansible, emulator, concurrency):
    names = seed(emulator, 400)
    emulator.change_after_page(0, [{"delete": ["key-0000"]}])

    result = listing(ansible, concurrency, limit=150)

    # key-0000, listed before it went, keeps its place; then the first 150 in order, not key-0100 after key-0150.
    assert [key["name"] for key in result["api_keys"]] == names[:150]
    assert "listing_changed" not in result and not result.get("warnings")
    report(
        "concurrency",
        f"limit 150, key deleted after the first page, {concurrency} in flight",
        "read again; 150 keys, in order",
    )


@pytest.mark.parametrize("concurrency", IN_FLIGHT)
def test_a_delete_and_a_create_between_two_pages_leave_out_no_key(ansible, emulator, concurrency):
    names = seed(emulator, 300)
    # The count stays 300, but key-0100 moves onto the first page, which was read before it moved.
    emulator.change_after_page(
        0, [{"delete": ["key-0000"], "create": [{"name": "zzz", "kind": "test", "status": "enabled"}]}]
    )

    result = listing(ansible, concurrency)

    assert [key["name"] for key in result["api_keys"]] == [*names, "zzz"]
    assert "listing_changed" not in result and not result.get("warnings")
    assert pages_read(emulator).count(0) == 2  # the second page did not begin with the first's last key: read again
    report(
        "concurrency",
        f"key deleted, another created after the first page, {concurrency} in flight",
        "read again; no key left out",
    )


@pytest.mark.parametrize("concurrency", IN_FLIGHT)
def test_an_account_that_keeps_changing_while_read_again_is_reported(ansible, emulator, concurrency):
    names = seed(emulator, 300)
    created = [{"create": [{"name": f"aaa-{number}", "kind": "test", "status": "enabled"}]} for number in range(2)]
    emulator.change_after_page(0, created)

    result = listing(ansible, concurrency)

    assert set(names) <= {key["name"] for key in result["api_keys"]}
    assert result["listing_changed"] is True
    assert any(
        "changed while they were listed (300 matched at first, 302 at last)" in warning
        for warning in result["warnings"]
    ), result
    report("concurrency", f"account changes during the second read, {concurrency} in flight", result["warnings"][0])


@pytest.mark.parametrize("concurrency", IN_FLIGHT)
def test_a_listing_while_another_client_creates_a_key_every_10_ms_leaves_out_no_existing_key(
    ansible, emulator, concurrency
):
    names = seed(emulator, 5000)
    stop = threading.Event()
    made = []

    def create_keys():
        pick = random.Random(concurrency)
        for number in range(6000):  # bounded: a minute at most
            if stop.wait(0.01):
                return
            # Names among the existing ones, so that each create moves every key after it on by one.
            name = f"key-{pick.randrange(5000):04d}-{number}"
            emulator.seed_keys([{"name": name, "kind": "test", "status": "enabled"}])
            made.append(name)

    creator = threading.Thread(target=create_keys, daemon=True)
    creator.start()
    try:
        started = time.monotonic()
        result = listing(ansible, concurrency)
        took = time.monotonic() - started
    finally:
        stop.set()
        creator.join(timeout=10)

    listed = {key["name"] for key in result["api_keys"]}
    assert made and not set(names) - listed, sorted(set(names) - listed)[:10]
    changed = "listing_changed" in result
    report(
        "concurrency",
        f"5000 keys, a key created every 10 ms, {concurrency} in flight",
        f"none left out ({len(made)} created, {took:.1f} s, listing_changed: {changed})",
    )
