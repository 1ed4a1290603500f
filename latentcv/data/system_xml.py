"""Per-particle masses, charges, virtual-site flags and constraints from a serialized OpenMM System (XML)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import latentcv  # noqa: F401  (imports torch before anything can import openmmtorch)
import openmm
from openmm import unit

from latentcv.readers import read_openmm_xml


@dataclass(frozen=True)
class SystemParameters:
    """What an OpenMM System says about each particle.

    Attributes
    ----------
    masses : np.ndarray
        Shape ``(N,)``, dalton; 0 for massless particles (virtual sites).
    charges : np.ndarray or None
        Shape ``(N,)``, elementary charges from the System's ``NonbondedForce``; None without one.
    virtual : np.ndarray
        Shape ``(N,)``, bool: a virtual site or a massless particle.
    constraints : dict
        ``{(i, j): length in nm}`` with i < j, in the particle numbering of the whole System (kept
        as is by :meth:`subset`).
    """

    masses: np.ndarray
    charges: np.ndarray | None
    virtual: np.ndarray
    constraints: dict[tuple[int, int], float]

    def subset(self, atoms: np.ndarray) -> SystemParameters:
        """The parameters of the particles ``atoms`` (int array), in that order."""
        charges = None if self.charges is None else self.charges[atoms]
        return SystemParameters(self.masses[atoms], charges, self.virtual[atoms], self.constraints)


def constraint_lengths(system: openmm.System) -> dict[tuple[int, int], float]:
    """The System's constraints as ``{(i, j): length in nm}`` with i < j."""
    lengths = {}
    for k in range(system.getNumConstraints()):
        i, j, distance = system.getConstraintParameters(k)
        lengths[(min(i, j), max(i, j))] = distance.value_in_unit(unit.nanometer)
    return lengths


def constrained_lengths(
    constraints: dict[tuple[int, int], float], pairs: Sequence[tuple[int, int]]
) -> list[float | None]:
    """The constraint length (nm) of each particle pair in ``constraints`` (as
    :func:`constraint_lengths` gives them), in either order; None for a pair that is not constrained."""
    return [constraints.get((min(i, j), max(i, j))) for i, j in pairs]


def read_system_xml(path: Path) -> SystemParameters:
    """Read masses, NonbondedForce charges and virtual sites from an OpenMM System XML file.

    Parameters
    ----------
    path : Path
        A file written by ``openmm.XmlSerializer.serialize(system)``.

    Returns
    -------
    SystemParameters

    Raises
    ------
    InputError
        When the file is missing or is not a serialized System.
    """
    system = read_openmm_xml(path, "System")
    n = system.getNumParticles()
    masses = np.array([system.getParticleMass(k).value_in_unit(unit.dalton) for k in range(n)])
    virtual = np.array([system.isVirtualSite(k) for k in range(n)]) | (masses == 0.0)
    charges = None
    for force in system.getForces():
        if isinstance(force, openmm.NonbondedForce):
            charges = np.array(
                [
                    force.getParticleParameters(k)[0].value_in_unit(unit.elementary_charge)
                    for k in range(n)
                ]
            )
    return SystemParameters(masses, charges, virtual, constraint_lengths(system))
