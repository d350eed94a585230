# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads sent several at a time, their results taken in order (internal to this collection, not a public API)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def results_in_order(function, items: list, workers: int):
    """Yield ``function(*item)`` for each item, in the order of ``items``, with up to ``workers`` calls running at once.

    With one worker, or one item, every call runs here, one after another. Once the caller stops (a result it did not
    want, or an error raised here) no further call starts, and those running finish before this returns.
    """
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield function(*item)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="fiskaly") as pool:
        futures = []
        try:
            futures.extend(pool.submit(function, *item) for item in items)
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
