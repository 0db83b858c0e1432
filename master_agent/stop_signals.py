"""Ctrl-C and SIGTERM while a run trains: a flag the master's loop reads, not an exception.

Python runs a signal handler between two bytecodes of the main thread, even when those bytecodes are a callback from
C (NumPy's `__array__`, TensorFlow's conversions): a KeyboardInterrupt raised there can come out of the C call as a
SystemError, which no `except KeyboardInterrupt` catches, and the run ended with a traceback instead of saving and
exiting 130. So the handler only notes the signal; the loop, which wakes at least every 0.1 s, stops the workers and
saves. A second signal quits at once: every file a run writes is written atomically.
"""

from __future__ import annotations

import os
import signal
import threading

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal's number, as a shell reports it


class StopSignals:
    """`with StopSignals() as signals:` ... `signals.code` is None until the first Ctrl-C (130) or SIGTERM (143).

    Only the main thread can install handlers; in another (the Python API called from a thread) this does nothing
    and `code` stays None. The handlers there before are restored on leaving."""

    def __init__(self) -> None:
        self.code: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in EXIT_CODES:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def stopping(self, code: int) -> None:
        """The run is stopping for `code` (a KeyboardInterrupt raised another way): the next signal quits at once."""
        self.code = self.code or code

    def _handle(self, signum: int, frame) -> None:
        if self.code is not None:  # the second one: the user does not want to wait for the save
            os._exit(EXIT_CODES[signum])
        self.code = EXIT_CODES[signum]
