"""Starting structures ready for MD: built, minimised when the builder asks for it, and for melts,
melted by heating the crystal."""

from __future__ import annotations

import logging

import numpy as np
from openmm import app, unit

from latentcv.engines.openmm.simulation import TIMESTEP_PS, create_system, make_simulation, minimise
from latentcv.systems.registry import SystemKind
from latentcv.systems.structure import Structure

log = logging.getLogger(__name__)


def _positions(simulation: app.Simulation) -> np.ndarray:
    """The Context's positions, shape (n_atoms, 3), nm."""
    positions = simulation.context.getState(getPositions=True).getPositions(asNumpy=True)
    return np.asarray(positions.value_in_unit(unit.nanometer))


def minimised(structure: Structure, forcefield_file: str, platform: str = "auto") -> Structure:
    """The structure after an energy minimisation with ``forcefield_file`` (rigid water: the exact
    water geometry, virtual sites placed).

    The Simulation's temperature (300 K) and seed (0) are unused by a minimisation; the result does
    not depend on the run the structure is for.
    """
    simulation = make_simulation(structure.topology, create_system(structure, forcefield_file), 300.0, 0, platform)
    minimise(simulation, structure.positions)
    return Structure(structure.topology, _positions(simulation))


def melt(
    structure: Structure, forcefield_file: str, temperature_k: float, ps: float, seed: int, platform: str
) -> Structure:
    """The structure after minimisation and ``ps`` ps of constant-volume MD at ``temperature_k`` K.

    Molecules stay whole (positions are not wrapped into the box).
    """
    system = create_system(structure, forcefield_file)
    simulation = make_simulation(structure.topology, system, temperature_k, seed, platform)
    minimise(simulation, structure.positions)
    simulation.context.setVelocitiesToTemperature(temperature_k * unit.kelvin, seed)
    log.info("melting: %.0f ps at %.0f K and constant volume", ps, temperature_k)
    simulation.step(round(ps / TIMESTEP_PS))
    return Structure(structure.topology, _positions(simulation))


def starting_structure(kind: SystemKind, n_molecules: int, seed: int, platform: str = "auto") -> Structure:
    """Build ``kind`` with about ``n_molecules`` molecules, minimise it when the kind asks for it
    (:attr:`SystemKind.minimise`, on the ``auto`` platform) and melt it when the kind asks for it.

    Parameters
    ----------
    kind : SystemKind
        The system (see :data:`latentcv.systems.registry.SYSTEMS`).
    n_molecules : int
        Requested number of molecules; the builder picks the nearest box it can make.
    seed : int
        Seed of the builder (ice proton disorder) and of the melting run.
    platform : str
        OpenMM platform of the melting run, or ``auto``.
    """
    structure = kind.build(n_molecules, seed)
    if kind.minimise:
        structure = minimised(structure, kind.forcefield_file)
    if kind.melt_temperature_k is not None:
        structure = melt(structure, kind.forcefield_file, kind.melt_temperature_k, kind.melt_ps, seed, platform)
    return structure
