# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stopping signals become an exception where the module is, except in its last step, writing secrets and its result."""

from __future__ import annotations

import os
import signal

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils._signals import (
    Interrupted,
    finishing,
    held_back,
    raise_held,
    stopping_signals_raise,
)

STOPPING = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@pytest.fixture(autouse=True)
def default_dispositions():
    """Each test starts from the default handlers: a shell that starts a job in the background without job control
    hands it SIGINT ignored, and an ignored signal is left ignored on purpose (the test with SIG_IGN below)."""
    previous = {signum: signal.signal(signum, signal.SIG_DFL) for signum in STOPPING}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize("signum", STOPPING)
def test_a_stopping_signal_raises_interrupted_and_the_handler_is_restored_after(signum):
    before = signal.getsignal(signum)
    with pytest.raises(Interrupted, match=f"interrupted by {signal.Signals(signum).name}"):
        with stopping_signals_raise():
            os.kill(os.getpid(), signum)
    assert signal.getsignal(signum) is before


def test_interrupted_is_not_swallowed_by_except_exception():
    caught = []
    with pytest.raises(Interrupted):
        with stopping_signals_raise():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
            except Exception:  # pylint: disable=broad-exception-caught
                caught.append("swallowed")
    assert not caught


def test_a_signal_while_finishing_interrupts_neither_the_last_step_nor_what_follows():
    steps = []
    with stopping_signals_raise():
        with finishing():
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("secrets written")
        steps.append("result returned")
    assert steps == ["secrets written", "result returned"]


def test_a_signal_after_finishing_interrupts_again():
    with pytest.raises(Interrupted):
        with stopping_signals_raise():
            with finishing():
                pass
            os.kill(os.getpid(), signal.SIGTERM)


def test_a_signal_the_parent_ignores_stays_ignored():
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with stopping_signals_raise():
            os.kill(os.getpid(), signal.SIGHUP)
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_signal_during_a_held_back_request_waits_until_its_outcome_is_kept():
    done = []
    with stopping_signals_raise():
        with held_back():
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("the answer came")  # not interrupted in the middle
        done.append("its outcome is kept")
        with pytest.raises(Interrupted, match="SIGTERM"):
            raise_held()
        raise_held()  # raised once only
    assert done == ["the answer came", "its outcome is kept"]


def test_a_held_signal_is_not_raised_while_the_module_is_finishing():
    with stopping_signals_raise():
        with held_back():
            os.kill(os.getpid(), signal.SIGINT)
        with finishing():
            raise_held()
        with pytest.raises(Interrupted, match="SIGINT"):
            raise_held()


def test_without_a_signal_nothing_is_raised():
    with stopping_signals_raise():
        with held_back():
            pass
        raise_held()
