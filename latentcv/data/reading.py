"""Memory-bounded reading of trajectory frames with MDTraj, with checks of what was read."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mdtraj as md
import numpy as np

from latentcv.errors import InputError
from latentcv.quiet import quiet_c_stdout
from latentcv.readers import reading

DEFAULT_CHUNK = 500
"""Frames read from disk at a time."""

_TOPOLOGY_FORMATS = (".pdb", ".pdb.gz", ".pdbx", ".cif", ".gro", ".h5")
_STREAM_FORMATS = (".dcd", ".xtc", ".trr", ".nc", ".netcdf", ".ncdf")


@dataclass
class FrameChunk:
    """Consecutive (strided) frames of one trajectory.

    Attributes
    ----------
    positions : np.ndarray
        Shape ``(B, N, 3)``, float32, nm.
    boxes : np.ndarray or None
        Shape ``(B, 3, 3)``, float32, box vectors as rows in nm as MDTraj gives them; None when the
        file has no unit cell.
    frames : np.ndarray
        Shape ``(B,)``, int64, index of each frame in the file.
    """

    positions: np.ndarray
    boxes: np.ndarray | None
    frames: np.ndarray


def _dcd_declared_frames(path: Path) -> int:
    """Frame count written in a DCD header (0 when the writer left it unset)."""
    with open(path, "rb") as handle:
        header = handle.read(12)
    for endian in "<>":
        if len(header) == 12 and struct.unpack(endian + "i", header[:4])[0] == 84:
            return struct.unpack(endian + "i", header[8:12])[0]
    return 0


def count_atoms(path: Path) -> int | None:
    """Atoms per frame in a trajectory file, read without a topology; None for other formats.

    Raises
    ------
    InputError
        When the file cannot be read, or a DCD holds fewer frames than its header declares
        (a truncated file).
    """
    name = path.name.lower()
    with reading(path, "trajectory"):
        if name.endswith(_TOPOLOGY_FORMATS):
            return md.load_topology(str(path)).n_atoms
        if not name.endswith(_STREAM_FORMATS):
            return None
        with quiet_c_stdout(), md.open(str(path)) as handle:
            n_frames = len(handle)
            n_atoms = handle.read(n_frames=1)[0].shape[1]
    if name.endswith(".dcd") and _dcd_declared_frames(path) > n_frames:
        raise InputError(
            f"trajectory {path} is truncated: its header declares {_dcd_declared_frames(path)} "
            f"frames, the file holds {n_frames}"
        )
    return n_atoms


def iter_frames(
    path: str | Path,
    topology: md.Topology,
    atoms: np.ndarray | None = None,
    start: int = 0,
    stop: int | None = None,
    stride: int = 1,
    chunk: int = DEFAULT_CHUNK,
) -> Iterator[FrameChunk]:
    """Read frames ``start:stop:stride`` of a trajectory in chunks (``md.iterload``).

    At most ``chunk`` frames are in memory at once, so files bigger than memory can be streamed.
    Every chunk is checked: atom count against the topology, finite coordinates and box.

    Parameters
    ----------
    path : str or Path
        Any trajectory MDTraj reads (dcd, xtc, trr, netcdf, pdb, gro, h5, ...).
    topology : md.Topology
        Topology of every atom in the file.
    atoms : np.ndarray, optional
        Indices of the atoms to keep (a selection); default all.
    start : int
        First frame of each trajectory.
    stop : int or None
        Frame to stop before (None: to the end).
    stride : int
        Use every ``stride``-th frame from ``start``.
    chunk : int
        Frames read at a time.

    Yields
    ------
    FrameChunk

    Raises
    ------
    InputError
        Missing, unreadable or truncated file; atom count different from the topology; NaN or
        infinite coordinates or box; invalid ``start``/``stop``/``stride``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"trajectory file not found: {path}")
    if start < 0 or stride < 1 or (stop is not None and stop < start) or chunk < 1:
        raise InputError(
            f"invalid frame range for {path}: start={start} stop={stop} stride={stride} "
            f"chunk={chunk} (need 0 <= start <= stop, stride >= 1, chunk >= 1)"
        )
    n_atoms = count_atoms(path)
    if n_atoms is not None and n_atoms != topology.n_atoms:
        raise InputError(
            f"trajectory {path} has {n_atoms} atoms per frame but the topology has "
            f"{topology.n_atoms}"
        )
    # MDTraj's own stride together with skip hangs on XTC files (mdtraj 1.11), so stride here.
    loader = md.iterload(str(path), top=topology, chunk=chunk, skip=start, atom_indices=atoms)
    first = start
    expected = topology.n_atoms if atoms is None else len(atoms)
    while stop is None or first < stop:
        with reading(path, "trajectory"):
            with quiet_c_stdout():
                piece = next(loader, None)
        if piece is None:
            return
        if piece.n_atoms != expected:
            raise InputError(
                f"trajectory {path} has {piece.n_atoms} atoms per frame but the topology "
                f"selection has {expected}"
            )
        frames = first + np.arange(piece.n_frames)
        first += piece.n_frames
        keep = ((frames - start) % stride == 0) & (frames < (stop if stop is not None else np.inf))
        if not keep.any():
            continue
        positions = piece.xyz[keep]
        boxes = None if piece.unitcell_vectors is None else piece.unitcell_vectors[keep]
        bad = ~np.isfinite(positions).all(axis=(1, 2))
        if boxes is not None:
            bad |= ~np.isfinite(boxes).all(axis=(1, 2))
        if bad.any():
            raise InputError(
                f"trajectory {path} has NaN or infinite coordinates in frame {frames[keep][bad][0]}"
            )
        yield FrameChunk(positions, boxes, frames[keep])
