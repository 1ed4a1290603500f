"""Graceful stop on Ctrl-C (SIGINT) and SIGTERM: finish the step, write ``latest.pt``, return."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any


class GracefulStop:
    """Context manager that turns SIGINT and SIGTERM into a request polled by the training loop.

    Entering clears :attr:`requested`; the first signal sets it, and the loop then stops at the
    next optimizer-step boundary and checkpoints. A second Ctrl-C raises ``KeyboardInterrupt`` at
    once. The previous handlers come back on exit. Outside the main thread (where Python cannot install handlers)
    the manager does nothing.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> GracefulStop:
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        # print, not logging: a signal handler must not wait for a lock that the code it interrupted holds
        print(
            f"\n{signal.Signals(signum).name}: stopping after this step and writing latest.pt "
            "(Ctrl-C again to abort without saving)",
            file=sys.stderr,
            flush=True,
        )
