"""Silence chatter that C libraries print straight to the process's standard output."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_c_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration (MDTraj's DCD reader prints
    "dcdplugin) ..." lines at every open). Python-level output is flushed first and kept."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
