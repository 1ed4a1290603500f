"""The ready starting structures in simulation/crystal and simulation/melt load and match the force fields."""

from __future__ import annotations

import pytest

from latentcv.engines.openmm.simulation import create_system
from latentcv.systems.forcefields import SIMULATION_DIR
from latentcv.systems.registry import SYSTEMS
from latentcv.systems.structure import read_pdb

SHIPPED = {
    "ice": SIMULATION_DIR / "crystal" / "ice.pdb",
    "urea-crystal": SIMULATION_DIR / "crystal" / "urea-crystal.pdb",
    "water": SIMULATION_DIR / "melt" / "water.pdb",
    "urea-melt": SIMULATION_DIR / "melt" / "urea-melt.pdb",
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_structure_builds_a_system(name: str) -> None:
    structure = read_pdb(SHIPPED[name])
    system = create_system(structure, SYSTEMS[name].forcefield_file)
    assert system.getNumParticles() == structure.topology.getNumAtoms() > 0
    assert all(edge > 1.7 for edge in structure.box)
