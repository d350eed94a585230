"""Stopping signals become an exception where the module is, except in its last step, writing secrets and its result."""

from __future__ import annotations

import os
import signal

import pytest

from ansible_collections.fiskaly.management.plugins.module_utils.interrupt import Interrupted, finishing, stopping_signals_raise


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
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
