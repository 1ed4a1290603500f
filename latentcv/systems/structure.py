"""A built system: OpenMM topology, positions (nm) and an orthorhombic periodic box (nm)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openmm
from openmm import app, unit


@dataclass
class Structure:
    """Atoms of whole molecules in an orthorhombic box.

    Attributes
    ----------
    topology : openmm.app.Topology
        One residue per molecule, bonds included, periodic box vectors set. Virtual sites (the M
        site of TIP4P/Ice) are atoms without an element.
    positions : numpy.ndarray
        Shape (n_atoms, 3), nm. Molecules are whole (not split across the box boundary).
    """

    topology: app.Topology
    positions: np.ndarray

    @property
    def box(self) -> np.ndarray:
        """Box edge lengths, shape (3,), nm."""
        vectors = self.topology.getPeriodicBoxVectors().value_in_unit(unit.nanometer)
        return np.array([vectors[0][0], vectors[1][1], vectors[2][2]])

    @property
    def n_molecules(self) -> int:
        """Number of molecules (residues)."""
        return self.topology.getNumResidues()

    def quantity_positions(self) -> unit.Quantity:
        """Positions as an OpenMM quantity in nm, for ``Context.setPositions`` and PDB writing."""
        return unit.Quantity([openmm.Vec3(*p) for p in self.positions.tolist()], unit.nanometer)

    def write_pdb(self, path: str | Path) -> None:
        """Write a PDB file (CRYST1 box, CONECT records) that :func:`read_pdb` reads back."""
        with open(path, "w") as handle:
            app.PDBFile.writeFile(self.topology, self.quantity_positions(), handle, keepIds=False)


def orthorhombic_topology(box_nm: np.ndarray) -> app.Topology:
    """An empty topology with an orthorhombic box of edge lengths ``box_nm`` (shape (3,), nm)."""
    topology = app.Topology()
    a, b, c = (float(x) for x in box_nm)
    topology.setPeriodicBoxVectors(
        (openmm.Vec3(a, 0, 0), openmm.Vec3(0, b, 0), openmm.Vec3(0, 0, c)) * unit.nanometer
    )
    return topology


def read_pdb(path: str | Path) -> Structure:
    """Read a PDB file written by :meth:`Structure.write_pdb` (box from CRYST1, bonds from CONECT)."""
    pdb = app.PDBFile(str(path))
    return Structure(pdb.topology, np.asarray(pdb.getPositions(asNumpy=True).value_in_unit(unit.nanometer)))
