"""Coexistence configurations of known crystal content: part of a crystal melted around the rest.

The molecules to keep (a slab, :func:`latentcv.systems.coexistence.slab_molecules`, or a nucleus,
:func:`~latentcv.systems.coexistence.sphere_molecules`) are held at their lattice positions by
harmonic restraints on their atoms, ½ k |r − r_lattice|² (minimum image, k =
:data:`RESTRAINT_K`), while the rest melts at constant volume at the melting temperature of the
system kind; the whole is then quenched at constant volume to the run temperature with the
restraints still on. The caller releases the restraints by building the run's own System: its
equilibration at constant pressure relaxes the liquid's density and the interfaces. Which molecules
were kept is the per-molecule label of the configuration, by construction.
"""

from __future__ import annotations

import logging

import numpy as np
import openmm
from openmm import unit

from latentcv.engines.openmm.simulation import TIMESTEP_PS, create_system, make_simulation, minimise
from latentcv.systems.structure import Structure

log = logging.getLogger(__name__)

#: kJ/mol/nm²: restraint constant on the kept molecules' atoms (thermal displacement at 450 K:
#: sqrt(kT/k) ≈ 0.03 nm, below a tenth of the nearest-neighbour distance).
RESTRAINT_K = 4000.0
#: ps at constant volume and the run temperature, restraints on, after the melt.
QUENCH_PS = 5.0


def lattice_restraints(structure: Structure, keep: np.ndarray) -> openmm.CustomExternalForce:
    """Harmonic restraints of every atom with an element of the molecules in ``keep`` (shape (M,),
    boolean) to its position in ``structure`` (minimum image, so wrapping does not matter)."""
    force = openmm.CustomExternalForce("0.5*k_lattice*periodicdistance(x, y, z, x0, y0, z0)^2")
    force.addGlobalParameter("k_lattice", RESTRAINT_K)
    for name in ("x0", "y0", "z0"):
        force.addPerParticleParameter(name)
    for k, residue in enumerate(structure.topology.residues()):
        if keep[k]:
            for atom in residue.atoms():
                if atom.element is not None:
                    force.addParticle(atom.index, structure.positions[atom.index].tolist())
    return force


def melt_around(
    structure: Structure,
    forcefield_file: str,
    keep: np.ndarray,
    melt_temperature_k: float,
    melt_ps: float,
    temperature_k: float,
    seed: int,
    platform: str = "auto",
) -> Structure:
    """Melt the molecules not in ``keep`` while the kept ones stay at their lattice positions, then
    quench the whole to ``temperature_k`` (see the module docstring).

    Parameters
    ----------
    structure : Structure
        The crystal.
    forcefield_file : str
        Force field in ``simulation/forcefields``.
    keep : numpy.ndarray
        Boolean, shape (M,): the molecules that stay crystalline. All kept: the crystal is returned
        minimised, without MD.
    melt_temperature_k, melt_ps : float
        K and ps of the constant-volume melt.
    temperature_k : float
        K, the run temperature the configuration is quenched to (for :data:`QUENCH_PS`).
    seed : int
        Seed of the velocities and the integrator.
    platform : str
        OpenMM platform, or ``auto``.

    Returns
    -------
    Structure
        The same topology and box; molecules whole (positions are not wrapped).
    """
    system = create_system(structure, forcefield_file)
    if keep.any():
        system.addForce(lattice_restraints(structure, keep))
    simulation = make_simulation(structure.topology, system, melt_temperature_k, seed, platform)
    minimise(simulation, structure.positions)
    if not keep.all():
        log.info("melting %d of %d molecules: %g ps at %g K and constant volume, the other %d restrained",
                 int((~keep).sum()), len(keep), melt_ps, melt_temperature_k, int(keep.sum()))
        simulation.context.setVelocitiesToTemperature(melt_temperature_k * unit.kelvin, seed)
        simulation.step(round(melt_ps / TIMESTEP_PS))
        log.info("quenching: %g ps at %g K and constant volume, restrained", QUENCH_PS, temperature_k)
        simulation.integrator.setTemperature(temperature_k * unit.kelvin)
        simulation.context.setVelocitiesToTemperature(temperature_k * unit.kelvin, seed + 1)
        simulation.step(round(QUENCH_PS / TIMESTEP_PS))
    positions = simulation.context.getState(getPositions=True).getPositions(asNumpy=True)
    return Structure(structure.topology, np.asarray(positions.value_in_unit(unit.nanometer)))
