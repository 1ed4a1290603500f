"""TIP4P/Ice geometry (Abascal et al., J. Chem. Phys. 122, 234511, 2005) and its OpenMM residue."""

from __future__ import annotations

import math

import numpy as np
from openmm import app

#: Force-field file of the model in ``simulation/forcefields``.
FORCEFIELD_FILE = "tip4p-ice.xml"

#: O-H bond length (nm).
R_OH_NM = 0.09572
#: H-O-H angle (degrees).
ANGLE_HOH_DEG = 104.52
#: Distance from O to the charge site M on the H-O-H bisector (nm).
D_OM_NM = 0.01577
#: Atom names of one molecule, in order, as in ``simulation/forcefields/tip4p-ice.xml``.
ATOM_NAMES = ("O", "H1", "H2", "M")
#: Residue name of water, as in the force field and in OpenMM's water templates.
RESIDUE_NAME = "HOH"
#: Mass of one molecule (g/mol), as in the force field.
MOLAR_MASS = 15.99943 + 2 * 1.007947


def molecule_sites() -> np.ndarray:
    """Sites O, H1, H2, M of one molecule in its own frame, shape (4, 3), nm.

    O at the origin, the molecule in the y-z plane, the H-O-H bisector along +z: the frame in which
    genice2 orients its water molecules.
    """
    half = math.radians(ANGLE_HOH_DEG) / 2
    hy, hz = R_OH_NM * math.sin(half), R_OH_NM * math.cos(half)
    return np.array([[0.0, 0.0, 0.0], [0.0, hy, hz], [0.0, -hy, hz], [0.0, 0.0, D_OM_NM]])


def add_water(topology: app.Topology, chain: app.Chain) -> app.Residue:
    """Append one TIP4P/Ice molecule (atoms O, H1, H2, M; bonds O-H1, O-H2) to ``chain``."""
    residue = topology.addResidue(RESIDUE_NAME, chain)
    oxygen = topology.addAtom("O", app.element.oxygen, residue)
    for name in ("H1", "H2"):
        topology.addBond(oxygen, topology.addAtom(name, app.element.hydrogen, residue))
    topology.addAtom("M", None, residue)
    return residue

