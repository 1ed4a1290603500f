"""Torch's CPU thread count for the duration of a block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` intra-op CPU threads (``torch.set_num_threads``), then restore
    the previous count; ``count = 0`` leaves torch's setting alone.

    Small networks and graphs of a few hundred nodes spend their time in per-operation overhead,
    which extra threads only add to: one thread trains them faster than several.
    """
    previous = torch.get_num_threads()
    if count > 0:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if count > 0:
            torch.set_num_threads(previous)
