"""Choosing the supercell of a crystal that holds about a requested number of molecules."""

from __future__ import annotations

import itertools
import math

import numpy as np

from latentcv.errors import InputError

#: Longest over shortest supercell edge that :func:`choose_supercell` prefers to stay under.
MAX_ASPECT = 1.5


def choose_supercell(
    n_molecules: int, per_cell: int, cell_nm: np.ndarray, min_edge_nm: float
) -> tuple[int, int, int]:
    """Repetitions (na, nb, nc) of an orthorhombic cell closest to ``n_molecules`` molecules.

    Among supercells whose every edge is at least ``min_edge_nm`` and whose longest edge is at most
    :data:`MAX_ASPECT` times the shortest, take the one whose molecule count is nearest to
    ``n_molecules``; ties go to the most cubic box. Without such a box, the most cubic one wins.

    Parameters
    ----------
    n_molecules : int
        Requested number of molecules, at least 1.
    per_cell : int
        Molecules per unit cell.
    cell_nm : numpy.ndarray
        Unit-cell edge lengths, shape (3,), nm.
    min_edge_nm : float
        Smallest allowed supercell edge (nm), e.g. twice the nonbonded cutoff.

    Returns
    -------
    tuple of int
        The repetitions along a, b and c.
    """
    if n_molecules < 1:
        raise InputError(f"the number of molecules must be at least 1, got {n_molecules}")
    cell_nm = np.asarray(cell_nm, dtype=float)
    smallest = [max(1, math.ceil(min_edge_nm / length - 1e-9)) for length in cell_nm]
    n_cells = n_molecules / per_cell
    # No repetition beyond the one that alone reaches the requested count can be nearer.
    largest = [max(lo, math.ceil(n_cells / math.prod(smallest) * lo) + 1) for lo in smallest]
    best: tuple[bool, int, float, tuple[int, int, int]] | None = None
    for na, nb in itertools.product(range(smallest[0], largest[0] + 1), range(smallest[1], largest[1] + 1)):
        nc_real = n_cells / (na * nb)
        for nc in sorted({max(smallest[2], math.floor(nc_real)), max(smallest[2], math.ceil(nc_real))}):
            edges = cell_nm * (na, nb, nc)
            aspect = float(edges.max() / edges.min())
            key = (aspect > MAX_ASPECT, abs(na * nb * nc * per_cell - n_molecules), aspect, (na, nb, nc))
            if best is None or key[:3] < best[:3]:
                best = key
    assert best is not None
    return best[3]


#: The axes of a box by name.
AXES = ("x", "y", "z")


def choose_slab_supercell(
    n_molecules: int, per_cell: int, cell_nm: np.ndarray, min_edge_nm: float, axis: int
) -> tuple[int, int, int]:
    """Repetitions of an orthorhombic cell for a slab: the two edges across ``axis`` as short as
    ``min_edge_nm`` allows, the edge along ``axis`` as long as ``n_molecules`` asks (the nearest
    count, and at least as long as the others, so that the slab normal is the longest edge).

    Parameters
    ----------
    n_molecules : int
        Requested number of molecules, at least 1.
    per_cell : int
        Molecules per unit cell.
    cell_nm : numpy.ndarray
        Unit-cell edge lengths, shape (3,), nm.
    min_edge_nm : float
        Smallest allowed supercell edge (nm), e.g. twice the nonbonded cutoff.
    axis : int
        0, 1 or 2: the slab normal.

    Returns
    -------
    tuple of int
        The repetitions along a, b and c.
    """
    if n_molecules < 1:
        raise InputError(f"the number of molecules must be at least 1, got {n_molecules}")
    cell_nm = np.asarray(cell_nm, dtype=float)
    reps = [max(1, math.ceil(min_edge_nm / length - 1e-9)) for length in cell_nm]
    across = [k for k in range(3) if k != axis]
    per_layer = per_cell * reps[across[0]] * reps[across[1]]
    longest_across = max(cell_nm[k] * reps[k] for k in across)
    shortest = max(reps[axis], math.ceil(longest_across / cell_nm[axis] - 1e-9))
    reps[axis] = max(shortest, round(n_molecules / per_layer))
    return reps[0], reps[1], reps[2]
