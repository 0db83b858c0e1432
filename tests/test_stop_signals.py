"""Ctrl-C and SIGTERM during training are noted, not raised (master_agent/stop_signals.py): a KeyboardInterrupt
raised inside a C callback came out as a SystemError and the run ended with a traceback instead of saving."""

import os
import signal
import time

from master_agent.stop_signals import StopSignals


def wait_for_code(signals: StopSignals, timeout: float = 5.0) -> int | None:
    deadline = time.monotonic() + timeout
    while signals.code is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the handler runs between bytecodes of this (the main) thread
    return signals.code


def test_a_signal_sets_the_exit_code_instead_of_raising_and_the_old_handlers_come_back():
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    with StopSignals() as signals:
        os.kill(os.getpid(), signal.SIGTERM)
        assert wait_for_code(signals) == 143
    assert {sig: signal.getsignal(sig) for sig in before} == before
    with StopSignals() as signals:
        os.kill(os.getpid(), signal.SIGINT)  # no KeyboardInterrupt here
        assert wait_for_code(signals) == 130


def test_stopping_for_another_reason_keeps_the_first_code():
    with StopSignals() as signals:
        signals.stopping(143)
        signals.stopping(130)
        assert signals.code == 143
