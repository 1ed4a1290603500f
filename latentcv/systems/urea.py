"""Urea form I crystal (tetragonal P-4 2_1 m, Z = 2) built from its asymmetric unit."""

from __future__ import annotations

import logging

import numpy as np
from openmm import app

from latentcv.systems.forcefields import MIN_BOX_EDGE_NM
from latentcv.systems.structure import Structure, orthorhombic_topology
from latentcv.systems.supercell import choose_supercell

log = logging.getLogger(__name__)

#: Force-field file of urea in ``simulation/forcefields``.
FORCEFIELD_FILE = "urea.xml"
#: Residue name, as in the force field (the PDB chemical-component code of urea).
RESIDUE_NAME = "URE"
#: Tetragonal cell edges a = b and c (nm).
CELL_NM = np.array([0.5565, 0.5565, 0.4684])
#: Molecules per unit cell.
MOLECULES_PER_CELL = 2
#: Asymmetric unit (docs/design.md, "Urea form I"): element and fractional coordinates.
ASYMMETRIC_UNIT = (
    ("C", (0.0, 0.5, 0.3260)),
    ("O", (0.0, 0.5, 0.5953)),
    ("N", (0.1459, 0.6459, 0.1766)),
    ("H1", (0.2575, 0.7575, 0.2827)),
    ("H2", (0.1441, 0.6441, -0.0380)),
)
#: The eight general positions of space group P-4 2_1 m (No. 113) as (rotation, translation) on
#: fractional coordinates: x,y,z; -x,-y,z; y,-x,-z; -y,x,-z; 1/2-x,1/2+y,-z; 1/2+x,1/2-y,-z;
#: 1/2+y,1/2+x,z; 1/2-y,1/2-x,z.
SYMMETRY_OPERATIONS = tuple(
    (np.array(rotation, dtype=float), np.array(shift))
    for rotation, shift in (
        (((1, 0, 0), (0, 1, 0), (0, 0, 1)), (0, 0, 0)),
        (((-1, 0, 0), (0, -1, 0), (0, 0, 1)), (0, 0, 0)),
        (((0, 1, 0), (-1, 0, 0), (0, 0, -1)), (0, 0, 0)),
        (((0, -1, 0), (1, 0, 0), (0, 0, -1)), (0, 0, 0)),
        (((-1, 0, 0), (0, 1, 0), (0, 0, -1)), (0.5, 0.5, 0)),
        (((1, 0, 0), (0, -1, 0), (0, 0, -1)), (0.5, 0.5, 0)),
        (((0, 1, 0), (1, 0, 0), (0, 0, 1)), (0.5, 0.5, 0)),
        (((0, -1, 0), (-1, 0, 0), (0, 0, 1)), (0.5, 0.5, 0)),
    )
)
#: Atom names of one molecule in force-field order, with each atom's bonded parent (None for C).
ATOMS = (("C", None), ("O", "C"), ("N1", "C"), ("H11", "N1"), ("H12", "N1"), ("N2", "C"), ("H21", "N2"), ("H22", "N2"))
_ELEMENTS = {"C": app.element.carbon, "O": app.element.oxygen, "N": app.element.nitrogen, "H": app.element.hydrogen}


def _unique_images(fractional: np.ndarray, tolerance: float = 1e-4) -> np.ndarray:
    """Rows of ``fractional`` (shape (k, 3)) wrapped into [0, 1), without periodic duplicates."""
    kept: list[np.ndarray] = []
    for point in np.mod(fractional, 1.0):
        if not any(np.all(np.abs((point - other + 0.5) % 1.0 - 0.5) < tolerance) for other in kept):
            kept.append(point)
    return np.array(kept)


def _nearest_images(origin: np.ndarray, candidates: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` periodic images in ``candidates`` (fractional, shape (k, 3)) closest to ``origin``
    (fractional, shape (3,)), unwrapped next to it; shape (count, 3), fractional."""
    shifted = origin + (candidates - origin + 0.5) % 1.0 - 0.5
    distance = np.linalg.norm((shifted - origin) * CELL_NM, axis=1)
    return shifted[np.argsort(distance)[:count]]


def unit_cell_molecules() -> np.ndarray:
    """The two molecules of the unit cell, whole, in :data:`ATOMS` order; shape (2, 8, 3), nm.

    Every site of the asymmetric unit is expanded by the space-group operations and wrapped into the
    cell; each C then takes its nearest O and two nearest N, and each N its nearest H1 and H2.
    """
    sites = {
        name: _unique_images(np.array([rotation @ np.array(xyz) + shift for rotation, shift in SYMMETRY_OPERATIONS]))
        for name, xyz in ASYMMETRIC_UNIT
    }
    molecules = []
    for carbon in sites["C"]:
        (oxygen,) = _nearest_images(carbon, sites["O"], 1)
        atoms = [carbon, oxygen]
        for nitrogen in _nearest_images(carbon, sites["N"], 2):
            atoms += [nitrogen, *_nearest_images(nitrogen, sites["H1"], 1), *_nearest_images(nitrogen, sites["H2"], 1)]
        molecules.append(np.array(atoms) * CELL_NM)
    return np.array(molecules)


def _add_urea(topology: app.Topology, chain: app.Chain) -> None:
    """Append one urea residue (atoms and bonds of :data:`ATOMS`) to ``chain``."""
    residue = topology.addResidue(RESIDUE_NAME, chain)
    atoms: dict[str, app.topology.Atom] = {}
    for name, parent in ATOMS:
        atoms[name] = topology.addAtom(name, _ELEMENTS[name[0]], residue)
        if parent is not None:
            topology.addBond(atoms[parent], atoms[name])


def build_urea_crystal(n_molecules: int, reps: tuple[int, int, int] | None = None) -> Structure:
    """A supercell of urea form I (a = 0.5565 nm, c = 0.4684 nm) in an orthorhombic box.

    Parameters
    ----------
    n_molecules : int
        Requested number of molecules; the nearest supercell (2 molecules per cell) whose edges all
        exceed twice the nonbonded cutoff is built, and a log message says which.
    reps : tuple of int, optional
        Repetitions of the unit cell along a, b and c instead (e.g. a slab's supercell).

    Returns
    -------
    Structure
        Residues ``URE`` with atoms C, O, N1, H11, H12, N2, H21, H22; positions in nm, molecules
        whole.
    """
    reps = reps or choose_supercell(n_molecules, MOLECULES_PER_CELL, CELL_NM, MIN_BOX_EDGE_NM)
    cell = unit_cell_molecules()
    shifts = np.array([(i, j, k) for i in range(reps[0]) for j in range(reps[1]) for k in range(reps[2])]) * CELL_NM
    molecules = (shifts[:, None, None, :] + cell[None]).reshape(-1, len(ATOMS), 3)
    box = CELL_NM * reps
    topology = orthorhombic_topology(box)
    chain = topology.addChain()
    for _ in molecules:
        _add_urea(topology, chain)
    built = Structure(topology, molecules.reshape(-1, 3))
    log.info(
        "urea form I: asked for %d molecules, built %d (%d x %d x %d unit cells, box %.3f x %.3f x %.3f nm)",
        n_molecules, built.n_molecules, *reps, *box,
    )
    return built
