# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads sent several at a time, their results taken in order (internal to this collection, not a public API)."""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor


def results_in_order(function, items: list, workers: int):
    """Yield ``function(*item)`` for each item, in the order of ``items``, with up to ``workers`` calls running at once.

    With one worker, or one item, every call runs here, one after another. Once the caller stops (a result it did not
    want, or an error raised here) no further call starts, and those running finish before this returns.
    """
    items = list(items)
    return results_ahead(function, iter(items).__next__, workers if len(items) > 1 else 1, len(items))


def results_ahead(function, next_item, workers: int, window: int | None = None):
    """Yield ``function(*item)`` in order for each ``item`` that ``next_item()`` gives, until it raises StopIteration or
    gives None while no call is pending.

    At most ``window`` calls (``workers`` unless given) are ahead of the result the caller holds: ``next_item`` is
    asked again only once the caller has taken a result, so it can decide from what came so far (a page's count, say),
    and what an answer announces never decides how much is asked at once. With one worker every call runs here.
    """
    window = workers if window is None else max(1, window)
    if workers <= 1:
        while True:
            item = _take(next_item)
            if item is None:
                return
            yield function(*item)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fiskaly") as pool:
        pending: deque = deque()
        try:
            while True:
                while len(pending) < window:
                    item = _take(next_item)
                    if item is None:
                        break
                    pending.append(pool.submit(function, *item))
                if not pending:
                    return
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _take(next_item):
    try:
        return next_item()
    except StopIteration:
        return None
