"""Starting structures ready for MD: built, and for melts, melted by heating the crystal."""

from __future__ import annotations

import logging

import numpy as np
from openmm import unit

from latentcv.md.engine import TIMESTEP_PS, create_system, make_simulation, minimise
from latentcv.systems.registry import SystemKind
from latentcv.systems.structure import Structure

log = logging.getLogger(__name__)


def melt(structure: Structure, forcefield_file: str, temperature_k: float, ps: float, seed: int, platform: str) -> Structure:
    """The structure after minimisation and ``ps`` ps of constant-volume MD at ``temperature_k`` K.

    Molecules stay whole (positions are not wrapped into the box).
    """
    system = create_system(structure, forcefield_file)
    simulation = make_simulation(structure.topology, system, temperature_k, seed, platform)
    minimise(simulation, structure.positions)
    simulation.context.setVelocitiesToTemperature(temperature_k * unit.kelvin, seed)
    log.info("melting: %.0f ps at %.0f K and constant volume", ps, temperature_k)
    simulation.step(round(ps / TIMESTEP_PS))
    positions = simulation.context.getState(getPositions=True).getPositions(asNumpy=True)
    return Structure(structure.topology, np.asarray(positions.value_in_unit(unit.nanometer)))


def starting_structure(kind: SystemKind, n_molecules: int, seed: int, platform: str = "auto") -> Structure:
    """Build ``kind`` with about ``n_molecules`` molecules and melt it when the kind asks for it.

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
    if kind.melt_temperature_k is not None:
        structure = melt(structure, kind.forcefield_file, kind.melt_temperature_k, kind.melt_ps, seed, platform)
    return structure
