"""DCD trajectories written by ``openmm.app.DCDFile``: frame count, and cutting back to a checkpoint.

The header records the number of frames (bytes 8-12), the first step and the interval (12-20) and
the step of the last frame (20-24); frames follow the header, all of the same size.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from latentcv.errors import InputError


def dcd_frame_count(path: Path) -> int:
    """Number of frames that the header of a DCD file written by ``openmm.app.DCDFile`` records."""
    with open(path, "rb") as handle:
        header = handle.read(24)
    if len(header) < 24 or header[4:8] != b"CORD":
        raise InputError(f"cannot resume: {path} is not a DCD file")
    return struct.unpack("<i", header[8:12])[0]


def truncate_dcd(path: Path, n_frames: int) -> None:
    """Keep the first ``n_frames`` frames of a DCD file (drop frames written after a checkpoint).

    Raises
    ------
    InputError
        When the file holds fewer than ``n_frames`` frames.
    """
    stored = dcd_frame_count(path)
    if stored < n_frames:
        raise InputError(f"cannot resume: {path} has {stored} frames, the checkpoint needs {n_frames}")
    if stored == n_frames:
        return
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(12)
        first_step, interval = struct.unpack("<2i", handle.read(8))
        frame_bytes = _frame_bytes(handle)
        handle.truncate(size - (stored - n_frames) * frame_bytes)
        handle.seek(8)
        handle.write(struct.pack("<i", n_frames))
        handle.seek(20)
        handle.write(struct.pack("<i", first_step + (n_frames - 1) * interval))
        handle.flush()
        os.fsync(handle.fileno())


def _frame_bytes(handle) -> int:
    """Size of one frame: an optional unit-cell record, then x, y, z records of 4 bytes per atom."""
    handle.seek(48)
    has_box = struct.unpack("<i", handle.read(4))[0] == 1
    handle.seek(92)
    comment_bytes = struct.unpack("<i", handle.read(4))[0]
    handle.seek(104 + comment_bytes)
    n_atoms = struct.unpack("<i", handle.read(4))[0]
    return (56 if has_box else 0) + 3 * (8 + 4 * n_atoms)
