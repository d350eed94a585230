# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The request log (never bodies or headers) and the server's own time spent handling requests.

Every entry has "started" (the request line was read) and "finished" (the answer was written), both
time.monotonic() values, so that a benchmark can take the span from its first request to its last.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from typing import Any

# Bounds memory of a long-running emulator; counters keep counting past it.
MAX_ENTRIES = 100_000


class Journal:
    """Thread-safe request log and counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_ENTRIES)
        self._requests = 0
        self._faults = 0
        self._seconds = 0.0
        self._rate_limited = 0

    def reset(self) -> None:
        """Clear the log and the counters."""
        with self._lock:
            self._entries.clear()
            self._requests = 0
            self._faults = 0
            self._seconds = 0.0
            self._rate_limited = 0

    def record(  # pylint: disable=too-many-arguments
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        status: int | None,
        fault: dict[str, Any] | None,
        *,
        started: float,
        rate_limited: bool = False,
    ) -> dict[str, Any]:
        """Log one API request and return its entry for finish().

        Called before the answer is sent so a client never sees an answer that is not logged yet; "finished"
        holds the time of logging until finish() replaces it by the time the answer was written.
        """
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "status": status,
            "fault": fault,
            "started": started,
            "finished": time.monotonic(),
        }
        with self._lock:
            self._entries.append(entry)
            self._requests += 1
            if fault is not None:
                self._faults += 1
            if rate_limited:
                self._rate_limited += 1
        return entry

    def finish(self, entry: dict[str, Any], handler_seconds: float) -> None:
        """Stamp when the answer of a logged request was written, and account the handler time it took."""
        with self._lock:
            entry["finished"] = time.monotonic()
            self._seconds += handler_seconds

    def entries(self, method: str | None = None, path_prefix: str | None = None) -> list[dict[str, Any]]:
        """Return logged requests, optionally only one method and paths under a prefix."""
        with self._lock:
            selected = [
                entry
                for entry in self._entries
                if (method is None or entry["method"] == method.upper())
                and (path_prefix is None or entry["path"].startswith(path_prefix))
            ]
            return copy.deepcopy(selected)

    def clear(self) -> int:
        """Clear the log (counters stay); return how many entries were dropped."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def stats(self) -> dict[str, Any]:
        """Return the counters."""
        with self._lock:
            return {
                "requests": self._requests,
                "handler_seconds": self._seconds,
                "faults": self._faults,
                "rate_limited": self._rate_limited,
            }
