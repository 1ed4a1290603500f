"""Liquid TIP4P/Ice water in a cubic box, from OpenMM's pre-equilibrated four-site water box."""

from __future__ import annotations

import logging

import numpy as np
import openmm
from openmm import app, unit

from latentcv.errors import InputError
from latentcv.systems import tip4p_ice
from latentcv.systems.forcefields import MIN_BOX_EDGE_NM, load_forcefield
from latentcv.systems.structure import Structure

log = logging.getLogger(__name__)


def build_water(n_molecules: int) -> Structure:
    """Liquid water of TIP4P/Ice molecules in a cubic box, before the energy minimisation it needs.

    ``openmm.app.Modeller.addSolvent`` cuts ``n_molecules`` waters out of OpenMM's pre-equilibrated
    TIP4P-Ew box (same O-H length and H-O-H angle as TIP4P/Ice). The geometry is TIP4P-Ew's: an
    energy minimisation with the TIP4P/Ice force field and rigid water makes it exact, places the M
    sites and relieves close contacts across the new box boundary. That minimisation is MD work,
    done where starting structures are prepared (:func:`latentcv.engines.openmm.prepare.starting_structure`, as
    :attr:`latentcv.systems.registry.SystemKind.minimise` asks). The box is a little roomy (about
    0.87 g/cm3 for 288 molecules): the barostat of the run brings it to density. When ``n_molecules``
    would give a box edge below twice the nonbonded cutoff, the smallest allowed cube is filled
    instead, and a log message says so.

    Parameters
    ----------
    n_molecules : int
        Requested number of molecules, at least 1.

    Returns
    -------
    Structure
        Residues ``HOH`` with atoms O, H1, H2, M; positions in nm, molecules whole.
    """
    if n_molecules < 1:
        raise InputError(f"the number of molecules must be at least 1, got {n_molecules}")
    forcefield = load_forcefield(tip4p_ice.FORCEFIELD_FILE)
    modeller = app.Modeller(app.Topology(), [])
    modeller.addSolvent(forcefield, model="tip4pew", numAdded=n_molecules, neutralize=False)
    edge = modeller.topology.getPeriodicBoxVectors()[0][0].value_in_unit(unit.nanometer)
    if edge < MIN_BOX_EDGE_NM:
        modeller = app.Modeller(app.Topology(), [])
        modeller.addSolvent(
            forcefield, model="tip4pew", boxSize=openmm.Vec3(*[MIN_BOX_EDGE_NM] * 3) * unit.nanometer,
            neutralize=False,
        )
        edge = MIN_BOX_EDGE_NM
    built = Structure(modeller.topology, np.asarray(modeller.getPositions().value_in_unit(unit.nanometer)))
    log.info(
        "liquid water: asked for %d molecules, built %d (cubic box %.3f nm%s)",
        n_molecules, built.n_molecules, edge,
        ", the smallest edge above twice the cutoff" if built.n_molecules != n_molecules else "",
    )
    return built
