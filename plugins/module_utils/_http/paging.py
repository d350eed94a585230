# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a listing page by page (internal to this collection, not a public API).

The first page comes alone; the pages after it are read ahead, ``at_once`` at most beyond the last page taken
(``max_concurrent_requests``, or 1 for a second read), and taken in order, so that no ``count`` decides how much is
asked. Each page after the first begins with the last key of the page before (one key of overlap), so that a key
moving from one page to another between their reads shows as a page beginning with another key; the client then reads
the listing again (``client``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import closing
from typing import TYPE_CHECKING, Any

from .. import _messages as messages
from .concurrency import results_ahead
from .failures import MalformedAnswer

if TYPE_CHECKING:
    from collections.abc import Callable

    # One page as the client reads it: its offset, how many keys were asked, the overlap, the keys and the count.
    PageRead = tuple[int, int, int, list, int]
    # Reads the page at an offset: (filters, offset, size, overlap) -> PageRead.
    ReadPage = Callable[[dict, int, int, int], PageRead]
    Pages = Iterator[tuple[list, int]]


class Read:
    """What one read of a listing saw of changes: each page's count, and whether a page began with another key than
    the one the page before ended with."""

    def __init__(self) -> None:
        self.counts: list[int] = []
        self.shifted = False

    @property
    def changed(self) -> bool:
        return self.shifted or len(set(self.counts)) > 1


def read_listing(  # pylint: disable=too-many-arguments,too-many-locals
    read_page: ReadPage,
    key_name: str,
    page_size: int,
    filters: dict,
    offset: int,
    limit: int | None,
    at_once: int,
    read: Read,
) -> Pages:
    """``(keys, count)`` of each page from ``offset`` on, in order, until a short page or the last one a count
    announces; what each page tells of a change goes to ``read``. At most ``at_once`` pages are read
    ahead of the one taken. Each page after the first asks for one key before its own: the last key of the page
    before."""
    end = None if limit is None else offset + limit
    # The first page alone: its count tells how many follow.
    state: dict[str, Any] = {"next": offset, "bound": offset + 1, "done": False}

    def next_page() -> tuple[dict, int, int, int] | None:
        new = state["next"]  # the first key no page has asked for yet
        if state["done"] or new >= state["bound"] or (end is not None and new >= end):
            return None
        overlap = 1 if new > offset else 0
        ask = page_size - overlap if end is None else min(page_size - overlap, end - new)
        state["next"] = new + ask
        return filters, new - overlap, ask + overlap, overlap

    earlier: set[str] = set()
    last = None
    with closing(results_ahead(read_page, next_page, at_once)) as pages:
        for at, asked, overlap, page, count in pages:
            keys = page[:asked]  # a server that ignores limit
            names = {key[key_name] for key in keys[overlap:]}
            if names and names <= earlier:
                raise MalformedAnswer(messages.ACTIVITY_LIST, 200, messages.only_earlier_keys(at))
            earlier |= names
            if overlap and [key[key_name] for key in keys[:1]] != [last]:
                read.shifted = True  # the page before's last key moved: so may others, onto pages read before
            else:
                keys = keys[overlap:]
            last = keys[-1][key_name] if keys else last
            read.counts.append(count)
            state["bound"] = count  # pages up to what the latest count announces, read ahead in the window only
            yield keys, count
            # Stop on a short page, whatever count says (the contract asks for both).
            if len(page[:asked]) < asked or at + len(page[:asked]) >= count:
                state["done"] = True
                return


def new_keys(pages: Iterable[tuple[list, int]], key_name: str, seen: set[str], limit: int | None) -> Pages:
    """The keys of each page not returned before, ``limit`` in all, with the page's count."""
    for keys, count in pages:
        new = [key for key in keys if key[key_name] not in seen]
        if limit is not None:
            new = new[: max(0, limit - len(seen))]
        seen.update(key[key_name] for key in new)
        yield new, count


def every_key(pages: Iterable[tuple[list, int]], key_name: str) -> tuple[list, int]:
    every: list = []
    last = 0
    for keys, count in new_keys(pages, key_name, set(), None):
        every += keys
        last = count
    return every, last


def with_leftovers(second: list, first: list, key_name: str) -> list:
    """The keys of ``second``, each key of ``first`` it lacks placed after the key it followed in ``first``."""
    kept = {key[key_name] for key in second}
    after: dict[str | None, list] = {}
    anchor = None
    for key in first:
        if key[key_name] in kept:
            anchor = key[key_name]
        else:
            after.setdefault(anchor, []).append(key)
    merged = list(after.get(None, []))
    for key in second:
        merged += [key, *after.get(key[key_name], [])]
    return merged
