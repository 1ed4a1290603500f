"""Order measures on molecular centres that the MD tests use to tell crystal from liquid."""

from __future__ import annotations

import itertools

import mdtraj
import numpy as np


def centres(trajectory: mdtraj.Trajectory, atom_name: str) -> np.ndarray:
    """Positions of one atom per molecule (e.g. water O, urea C), shape (frames, molecules, 3), nm."""
    return trajectory.xyz[:, trajectory.topology.select(f"name {atom_name}")]


def fractional(positions: np.ndarray, box_lengths: np.ndarray) -> np.ndarray:
    """Fractional coordinates: positions (frames, molecules, 3) nm over box lengths (frames, 3) nm."""
    return positions / box_lengths[:, None, :]


def bragg_vectors(lattice_fractional: np.ndarray, max_index: int, count: int = 6) -> np.ndarray:
    """The ``count`` integer wavevectors m (in units of the reciprocal box) with the largest
    translational order |mean_j exp(2 pi i m . s_j)| in a perfect lattice; shape (count, 3)."""
    candidates = np.array([m for m in itertools.product(range(-max_index, max_index + 1), repeat=3) if any(m)])
    amplitude = np.abs(np.exp(2j * np.pi * lattice_fractional @ candidates.T).mean(axis=0))
    return candidates[np.argsort(-amplitude)[:count]]


def translational_order(frames_fractional: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Mean over ``vectors`` (k, 3) of |mean_j exp(2 pi i m . s_j)| per frame: about 1 for the
    crystal the vectors come from, about 1/sqrt(molecules) for a liquid; shape (frames,)."""
    phases = np.exp(2j * np.pi * frames_fractional @ vectors.T)
    return np.abs(phases.mean(axis=1)).mean(axis=1)


def mean_squared_displacement(positions: np.ndarray) -> np.ndarray:
    """MSD against the lag in frames, averaged over every time origin, after removing the drift of
    the centre; shape (frames,), nm2 (entry k: lag of k frames; the last one has a single origin).

    ``positions`` (frames, molecules, 3), nm, must be unwrapped (OpenMM keeps them so).
    """
    centred = positions - positions.mean(axis=1, keepdims=True)
    msd = [0.0]
    for lag in range(1, len(positions)):
        displacement = centred[lag:] - centred[:-lag]
        msd.append(float((displacement**2).sum(axis=2).mean()))
    return np.asarray(msd)
