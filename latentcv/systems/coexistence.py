"""Which molecules of a crystal stay crystalline in a coexistence configuration: a slab or a sphere.

A slab (interface pinning, direct coexistence) keeps the molecules whose centres lie in a block of
the box along the slab normal; a nucleus keeps the molecules nearest to the box centre. The rest is
melted around them by the engines (:mod:`latentcv.engines.openmm.coexistence`). Nothing here runs MD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentcv.errors import InputError
from latentcv.systems.structure import Structure

#: nm: the thinnest liquid layer of a slab, so that bulk-like liquid lies between the interfaces.
MIN_LIQUID_NM = 1.0
#: Slab normals by name.
AXES = ("x", "y", "z")


@dataclass(frozen=True)
class Coexistence:
    """How much of a crystal stays crystalline in a coexistence system.

    Attributes
    ----------
    fraction : float or None
        Fraction of the molecules kept crystalline (a slab's; a nucleus takes it too).
    molecules : int or None
        Number of molecules kept crystalline, instead of ``fraction``.
    axis : int or None
        Slab normal (0, 1, 2); None: the longest box edge.
    """

    fraction: float | None = None
    molecules: int | None = None
    axis: int | None = None

    def count(self, n_molecules: int) -> int:
        """Molecules to keep out of ``n_molecules``."""
        if (self.fraction is None) == (self.molecules is None):
            raise InputError("a coexistence system needs either a crystal fraction or a number of crystal molecules")
        if self.molecules is not None:
            return self.molecules
        if not 0.0 <= self.fraction <= 1.0:
            raise InputError(f"the crystal fraction must be between 0 and 1, got {self.fraction}")
        return int(round(self.fraction * n_molecules))

    def describe(self, shape: str, n_molecules: int, kept: int) -> str:
        """One line for the labels file and the log."""
        where = f", slab normal {AXES[self.axis if self.axis is not None else 2]}" if shape == "slab" else ""
        return f"{kept} of {n_molecules} molecules crystalline ({kept / n_molecules:.3f}) in a {shape}{where}"


def molecule_centres(structure: Structure) -> np.ndarray:
    """Geometric centres of each molecule's atoms with an element (virtual sites left out),
    shape (M, 3), nm; the structure's molecules are whole."""
    centres = np.zeros((structure.n_molecules, 3))
    for k, residue in enumerate(structure.topology.residues()):
        atoms = [a.index for a in residue.atoms() if a.element is not None]
        centres[k] = structure.positions[atoms].mean(axis=0)
    return centres


def slab_molecules(structure: Structure, count: int, axis: int) -> np.ndarray:
    """The molecules of a crystal slab of ``count`` molecules, centred in the box.

    The ``count`` molecules whose centres are nearest, along ``axis`` and through the periodic
    boundary, to the middle plane of the box: one block between two planes normal to ``axis``.
    Between its two faces the liquid layer is (1 − count / M) times the box edge.

    Parameters
    ----------
    structure : Structure
        The crystal, orthorhombic box.
    count : int
        In [0, M].
    axis : int
        0, 1 or 2: the slab normal.

    Returns
    -------
    numpy.ndarray
        Boolean, shape (M,): True for the molecules of the crystal slab.

    Raises
    ------
    InputError
        For a count outside [0, M], or a liquid layer thinner than :data:`MIN_LIQUID_NM`.
    """
    if not 0 <= count <= structure.n_molecules:
        raise InputError(f"a slab of {count} molecules does not fit in {structure.n_molecules}")
    fraction = count / structure.n_molecules
    edge = float(structure.box[axis])
    if 0.0 < fraction < 1.0 and (1.0 - fraction) * edge < MIN_LIQUID_NM:
        raise InputError(
            f"a crystal fraction of {fraction:g} leaves a liquid layer of {(1 - fraction) * edge:.2f} nm along the "
            f"{edge:.2f} nm slab normal, thinner than {MIN_LIQUID_NM:g} nm: ask for more molecules or a smaller "
            "fraction"
        )
    s = molecule_centres(structure)[:, axis] / edge
    offset = np.abs((s - 0.5 + 0.5) % 1.0 - 0.5)  # periodic distance from the middle plane, box units
    keep = np.zeros(structure.n_molecules, dtype=bool)
    keep[np.argsort(offset, kind="stable")[:count]] = True
    return keep


def sphere_molecules(structure: Structure, count: int) -> np.ndarray:
    """The ``count`` molecules nearest (minimum image) to the centre of the box: a spherical nucleus.

    Returns
    -------
    numpy.ndarray
        Boolean, shape (M,).

    Raises
    ------
    InputError
        For a count outside [0, M].
    """
    if not 0 <= count <= structure.n_molecules:
        raise InputError(f"a nucleus of {count} molecules does not fit in {structure.n_molecules}")
    box = structure.box
    d = molecule_centres(structure) - box / 2
    d -= box * np.round(d / box)
    keep = np.zeros(structure.n_molecules, dtype=bool)
    keep[np.argsort(np.linalg.norm(d, axis=1), kind="stable")[:count]] = True
    return keep
