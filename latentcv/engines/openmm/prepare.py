"""Starting structures ready for MD: built, minimised when the builder asks for it, and for melts,
melted by heating the crystal."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from openmm import app, unit

from latentcv.data.molecule_labels import write_molecule_labels
from latentcv.engines.openmm.coexistence import melt_around
from latentcv.engines.openmm.simulation import TIMESTEP_PS, create_system, make_simulation, minimise
from latentcv.errors import InputError
from latentcv.systems.coexistence import Coexistence, slab_molecules, sphere_molecules
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


def coexistence_structure(kind: SystemKind, n_molecules: int, coexistence: Coexistence, temperature_k: float,
                          seed: int, platform: str = "auto") -> tuple[Structure, np.ndarray]:
    """A coexistence system of ``kind`` (``kind.coexistence`` ``slab`` or ``sphere``): the crystal,
    with the molecules outside the kept slab or nucleus melted around it and the whole quenched to
    ``temperature_k`` (:func:`latentcv.engines.openmm.coexistence.melt_around`).

    Returns
    -------
    structure : Structure
    crystalline : numpy.ndarray
        Boolean, shape (M,): the molecules kept crystalline (the per-molecule labels).
    """
    if kind.coexistence is None or kind.melt_temperature_k is None:
        raise InputError(f"{kind.name} is not a coexistence system")
    axis = 2 if coexistence.axis is None else coexistence.axis
    if kind.coexistence == "slab":
        assert kind.build_along is not None
        crystal = kind.build_along(n_molecules, seed, axis)
        keep = slab_molecules(crystal, coexistence.count(crystal.n_molecules), axis)
    else:
        crystal = kind.build(n_molecules, seed)
        keep = sphere_molecules(crystal, coexistence.count(crystal.n_molecules))
    log.info("%s: %s", kind.name, coexistence.describe(kind.coexistence, crystal.n_molecules, int(keep.sum())))
    structure = melt_around(crystal, kind.forcefield_file, keep, kind.melt_temperature_k, kind.melt_ps,
                            temperature_k, seed, platform)
    return structure, keep


def write_coexistence_labels(path: str | os.PathLike[str], kind: SystemKind, coexistence: Coexistence,
                             crystalline: np.ndarray, temperature_k: float) -> Path:
    """Write a coexistence system's per-molecule labels (``crystal`` for the molecules kept
    crystalline, ``melt`` for the others) to ``path``, with what was built in a comment."""
    described = coexistence.describe(kind.coexistence or "", len(crystalline), int(crystalline.sum()))
    return write_molecule_labels(path, ["crystal" if c else "melt" for c in crystalline],
                                 f"{kind.name}: {described}, {temperature_k:g} K (by construction)")
