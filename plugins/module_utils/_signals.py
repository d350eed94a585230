# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stopping signals as an exception (internal to this collection, not a public API).

A cancelled CI job or a Ctrl-C stops the module between two writes of a fleet. Raised as an
exception where the module is, the signal lets it still write the secrets of the keys it has
created and report what it did, instead of dying with them in memory. Once the module is
writing those secrets and its result, its last step, a signal no longer interrupts it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOPPING_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


class Interrupted(BaseException):
    """A stopping signal arrived. A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on the way
    swallows it."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name


class _SignalState:  # pylint: disable=too-few-public-methods
    finishing = 0
    holding = 0
    held: int | None = None


def _on_signal(signum: int, frame: FrameType | None) -> None:  # pylint: disable=unused-argument
    if _SignalState.finishing:
        return
    if _SignalState.holding:
        _SignalState.held = _SignalState.held or signum
        return
    raise Interrupted(signal.Signals(signum).name)


@contextmanager
def stopping_signals_raise() -> Iterator[None]:
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


@contextmanager
def finishing() -> Iterator[None]:
    """The module's last step (writing secrets, building its result): a stopping signal no longer interrupts it.

    Raising afterwards would only throw away what was just written and the result that says where it is.
    """
    _SignalState.finishing += 1
    try:
        yield
    finally:
        _SignalState.finishing -= 1


@contextmanager
def held_back() -> Iterator[None]:
    """A request whose answer carries a one-time secret (a create): a stopping signal waits until the answer is in.

    Raising in the middle would throw away an answer that may already be on its way, with the secret in it; the
    request's own timeout bounds the wait. ``raise_held`` raises the signal once what the request brought is kept.
    """
    _SignalState.holding += 1
    try:
        yield
    finally:
        _SignalState.holding -= 1


def signal_held() -> bool:
    """Whether a stopping signal came during a held-back step and waits to be raised."""
    return _SignalState.held is not None


def raise_held() -> None:
    """Raise a stopping signal that came during a held-back request, now that its outcome is kept."""
    if _SignalState.holding or _SignalState.finishing or _SignalState.held is None:
        return
    signum, _SignalState.held = _SignalState.held, None
    raise Interrupted(signal.Signals(signum).name)
