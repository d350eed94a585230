# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the client's listing: pages read ahead in a bounded window whatever count says (issue 18, point 3),
and a listing read again where the account changed under it (point 2). The transport answers each page from a list of
names that a test may change between two pages, as an account changes."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest
import requests

from ansible_collections.fiskaly.management.plugins.module_utils._http.client import FiskalyClient
from ansible_collections.fiskaly.management.plugins.modules.fiskaly_api_key_info import read_keys

BASE = "https://api.test/api/v0"
TOKEN = {"access_token": "tok-1", "access_token_expires_in": 300, "refresh_token": "ref-1"}


def answer(body) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()  # pylint: disable=protected-access
    response.raw = SimpleNamespace(retries=SimpleNamespace(history=()))
    return response


class Account:
    """Stands in for Session.request: pages of ``names`` (sorted), with ``count`` as ``announce`` says; ``after(offset)``
    may change the names right after the page at that offset was answered."""

    def __init__(self, names, announce=len, after=None):
        self.names = sorted(names)
        self.announce = announce
        self.after = after or (lambda offset: None)
        self.offsets = []
        self.lock = threading.Lock()

    def __call__(self, method, url, **kwargs):
        if url.endswith("/auth"):
            return answer(TOKEN)
        params = kwargs["params"]
        with self.lock:
            offset, limit = params["offset"], params["limit"]
            self.offsets.append(offset)
            data = [
                {"name": name, "kind": "test", "status": "enabled", "metadata": {}}
                for name in self.names[offset : offset + limit]
            ]
            body = {"data": data, "count": self.announce(self.names), "_type": "API_KEY_LIST"}
            self.after(offset)
        return answer(body)


def listing(account: Account, concurrency: int, **filters):
    client = FiskalyClient(BASE, api_key="key", api_secret="s3cret", max_concurrent_requests=concurrency)
    client.sender._session.request = account  # type: ignore[assignment]  # pylint: disable=protected-access
    names = [key["name"] for keys, _count in client.list_api_key_pages(order_by="name", **filters) for key in keys]
    return names, client.listing_changed


def info(account: Account, concurrency: int, **params):
    """The names fiskaly_api_key_info returns, by name, and its listing_changed."""
    client = FiskalyClient(BASE, api_key="key", api_secret="s3cret", max_concurrent_requests=concurrency)
    client.sender._session.request = account  # type: ignore[assignment]  # pylint: disable=protected-access
    given = {
        "name": None,
        "id": None,
        "kind": None,
        "status": None,
        "order_by": "name",
        "order": "asc",
        "offset": 0,
        "limit": None,
    }
    result = read_keys(client, {**given, **params})
    return [key["name"] for key in result["api_keys"]], result.get("listing_changed")


NAMES = [f"key-{number:04d}" for number in range(150)]


@pytest.mark.parametrize("concurrency", [1, 10, 100])
def test_a_count_of_two_to_the_53_reads_no_more_than_the_window(concurrency):
    account = Account(NAMES, announce=lambda names: 9007199254740991)
    names, changed = listing(account, concurrency)
    assert names == NAMES and changed is None
    # The first page, then at most the window beyond it: the short page ends the listing.
    assert len(account.offsets) <= 1 + concurrency and sorted(set(account.offsets))[:2] == [0, 99]


@pytest.mark.parametrize("concurrency", [1, 10, 100])
def test_a_count_a_thousand_too_high_costs_at_most_the_window(concurrency):
    names = [f"key-{number:04d}" for number in range(5000)]
    account = Account(names, announce=lambda names: len(names) + 1000)
    assert listing(account, concurrency) == (names, None)
    assert len(account.offsets) <= 51 + concurrency


@pytest.mark.parametrize("concurrency", [1, 10, 100])
def test_a_key_that_moved_onto_a_page_read_before_is_found_by_a_second_read(concurrency):
    names = [f"key-{number:04d}" for number in range(1000)]
    account = Account(names)

    def after(offset):
        if offset == 0 and "key-0000" in account.names:  # the first listing only: key-0100 moves onto the first page
            account.names.remove("key-0000")

    account.after = after
    listed, changed = listing(account, concurrency)
    assert sorted(listed) == names and len(listed) == len(set(listed)) and changed is None
    assert account.offsets.count(0) == 2  # read again, from the start


@pytest.mark.parametrize("concurrency", [1, 10, 100])
def test_an_account_that_keeps_changing_is_said_to_have_changed(concurrency):
    names = [f"key-{number:04d}" for number in range(300)]
    account = Account(names)
    created = iter(range(10000, 20000))

    def after(offset):
        if offset == 0:  # in each read, after the first page (read alone): a key that sorts first pushes every key on
            account.names.insert(0, f"aaa-{next(created)}")

    account.after = after
    listed, changed = listing(account, concurrency)
    assert set(names) <= set(listed)
    assert changed.startswith("The API keys changed while they were listed (300 matched at first, 302 at last)")


def test_a_listing_whose_count_stays_is_read_once():
    account = Account(NAMES)
    assert listing(account, 10) == (NAMES, None)
    assert sorted(account.offsets) == [0, 99]  # the second page from the first's last key on


def test_a_limit_bounds_the_pages_read_ahead():
    account = Account(NAMES, announce=lambda names: 9007199254740991)
    names, _changed = listing(account, 100, limit=120)
    assert names == NAMES[:120] and sorted(account.offsets) == [0, 99]


@pytest.mark.parametrize("concurrency", [1, 10, 100])
def test_a_listing_read_twice_keeps_to_its_limit_and_its_order(concurrency):
    names = [f"key-{number:04d}" for number in range(400)]
    account = Account(names)

    def after(offset):
        if offset == 0 and "key-0000" in account.names:  # the first read only
            account.names.remove("key-0000")

    account.after = after
    listed, changed = info(account, concurrency, limit=150)
    # key-0000, listed before it went, stays in its place; then the first 150 in order: not key-0100 after key-0150,
    # not 151 keys.
    assert listed == names[:150] and changed is None


@pytest.mark.parametrize("concurrency", [1, 10, 100])
def test_an_account_that_keeps_changing_is_listed_in_order_within_the_limit(concurrency):
    names = [f"key-{number:04d}" for number in range(300)]
    account = Account(names)
    created = iter(range(10000, 20000))

    def after(offset):
        if offset == 0:  # in each read, after the first page: a key that sorts first pushes every key on
            account.names.insert(0, f"aaa-{next(created)}")

    account.after = after
    listed, changed = info(account, concurrency, limit=150)
    assert changed is True and len(listed) == 150 and listed == sorted(set(listed))


@pytest.mark.parametrize("concurrency", [1, 10, 100])
def test_a_delete_and_a_create_between_two_pages_lose_no_key(concurrency):
    """The count stays the same; the key that moved onto the first page is found all the same."""
    names = [f"key-{number:04d}" for number in range(300)]

    def account_changing_once():
        account = Account(names)

        def after(offset):
            if offset == 0 and "key-0000" in account.names:  # the first read only
                account.names.remove("key-0000")
                account.names.append("zzz")

        account.after = after
        return account

    listed, changed = listing(account_changing_once(), concurrency)
    assert set(names[1:]) <= set(listed) and len(listed) == len(set(listed)) and changed is None
    listed, changed = info(account_changing_once(), concurrency)
    assert listed == [*names, "zzz"] and changed is None
