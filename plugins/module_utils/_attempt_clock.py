# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bound on the time of each attempt of a request as a whole (internal to this collection, not a public API)."""

from __future__ import annotations

import signal
import socket
import threading
from contextlib import contextmanager


class AttemptTimeout(socket.timeout):
    """An attempt took longer than ``timeout`` as a whole. A socket timeout, so that urllib3 and requests, wherever it
    interrupts them, take it for the read (or connect) timeout that it is."""


class AttemptClock:
    """Bounds each attempt of a request as a whole: connecting, sending, and receiving the whole answer.

    The socket timeouts of requests bound each read alone, and an answer that trickles in, a few bytes at a time,
    starts them afresh with every piece. The clock is a real-time timer (SIGALRM) on the main thread of a POSIX
    system; where there is none (another thread, Windows, a timer already in use), only the socket timeouts hold.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._active = False
        self._armed = False

    @contextmanager
    def running(self):
        """Within this block, each attempt started with ``start()`` (the first one at once) raises ``AttemptTimeout`` once over time."""
        if not self._usable():
            yield self
            return
        previous = signal.signal(signal.SIGALRM, self._expired)
        self._active = True
        try:
            self.start()
            yield self
        finally:
            self.stop()
            self._active = False
            signal.signal(signal.SIGALRM, previous)

    def start(self) -> None:
        """An attempt starts now."""
        if self._active:
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def stop(self) -> None:
        """The attempt is over (or waits between two attempts, which no attempt's time includes)."""
        if self._active:
            self._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _expired(self, signum, frame):  # pylint: disable=unused-argument
        if self._armed:
            self._armed = False
            raise AttemptTimeout(f"no whole answer within timeout ({self.seconds:g} s)")

    @staticmethod
    def _usable() -> bool:
        return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread() and signal.getitimer(signal.ITIMER_REAL)[0] == 0
