# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stopping signals as an exception (internal to this collection, not a public API).

A cancelled CI job or a Ctrl-C stops the module between two writes of a fleet. Raised as an
exception where the module is, the signal lets it still write the secrets of the keys it has
created and report what it did, instead of dying with them in memory. While those secrets are
being written, a signal waits until the write is over.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

STOPPING_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


class Interrupted(BaseException):
    """A stopping signal arrived. A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on the way swallows it."""

    def __init__(self, signal_name: str):
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name


class _SignalState:  # pylint: disable=too-few-public-methods
    deferring = 0
    pending: str | None = None


def _on_signal(signum, frame):  # pylint: disable=unused-argument
    name = signal.Signals(signum).name
    if _SignalState.deferring:
        _SignalState.pending = _SignalState.pending or name
        return
    raise Interrupted(name)


@contextmanager
def stopping_signals_raise():
    """Within this block, SIGTERM, SIGINT and SIGHUP raise ``Interrupted``, unless the parent process ignores them."""
    previous = {}
    for name in STOPPING_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is None or signal.getsignal(signum) is signal.SIG_IGN:
            continue  # not on this platform, or the parent chose to shield the module from it
        previous[signum] = signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _SignalState.pending = None


@contextmanager
def signals_deferred():
    """Hold a stopping signal back until the block is done (writing secrets), then raise it."""
    _SignalState.deferring += 1
    try:
        yield
    finally:
        _SignalState.deferring -= 1
    if not _SignalState.deferring and _SignalState.pending:
        name, _SignalState.pending = _SignalState.pending, None
        raise Interrupted(name)
