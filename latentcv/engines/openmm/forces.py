"""Evaluate forces in a throw-away OpenMM Context: energy and forces for given coordinates."""

from __future__ import annotations

import numpy as np
import openmm
from openmm import unit

from latentcv.engines.openmm.platforms import pick_platform


def evaluate_forces(
    forces: list[openmm.Force],
    positions: np.ndarray,
    box: np.ndarray | None = None,
    platform: str = "Reference",
    masses: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Potential energy and forces of ``forces`` on a System of free particles.

    Parameters
    ----------
    forces : list of openmm.Force
        Forces to add (each is owned by the System afterwards).
    positions : ndarray[N, 3]
        Coordinates, nm.
    box : ndarray[3, 3], optional
        Box vectors as rows, nm, in OpenMM's reduced form.
    platform : str
        OpenMM platform name (or ``auto``).
    masses : ndarray[N], optional
        Particle masses in dalton; 0 marks a virtual site-like massless particle. Default 1.

    Returns
    -------
    energy : float
        kJ/mol.
    forces : ndarray[N, 3]
        kJ/mol/nm.
    """
    n = len(positions)
    system = openmm.System()
    for m in masses if masses is not None else np.ones(n):
        system.addParticle(float(m))
    if box is not None:
        system.setDefaultPeriodicBoxVectors(*(openmm.Vec3(*row) for row in np.asarray(box, dtype=float)))
    for force in forces:
        system.addForce(force)
    plat, props = pick_platform(platform)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), plat, props)
    if box is not None:
        context.setPeriodicBoxVectors(*(openmm.Vec3(*row) for row in np.asarray(box, dtype=float)))
    context.setPositions(np.asarray(positions, dtype=float) * unit.nanometer)
    state = context.getState(getEnergy=True, getForces=True)
    energy = state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    f = state.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)
    del context
    return float(energy), np.asarray(f)
