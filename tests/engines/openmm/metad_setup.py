"""A real system for the metadynamics tests: 288 TIP4P/Ice molecules of ``simulation/crystal/ice.pdb``
at constant volume, minimised, with velocities at 270 K, and an untrained exported CV on it whose
progress is 0 at ``simulation/melt/water.pdb`` and 1 at the ice structure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openmm
from openmm import unit

from latentcv.commands.metad_config import MetadConfig
from latentcv.cv.untrained import Frame
from latentcv.engines.export import export_untrained_cv
from latentcv.engines.openmm.simulation import make_simulation, minimise
from latentcv.engines.openmm.system_files import write_system_files
from latentcv.systems.forcefields import SIMULATION_DIR
from latentcv.systems.structure import read_pdb

TEMPERATURE = 270.0


@dataclass
class IceRun:
    """Input files of a metadynamics run on ice: system.xml, topology.pdb, state.xml, CV folder."""

    system_xml: Path
    pdb: Path
    state: Path
    cv: Path

    def config(self, out: Path, steps: int, **settings) -> MetadConfig:
        """A MetadConfig of ``steps`` 2 fs steps (small report and checkpoint intervals by default)."""
        settings = {"report_interval": 4, "checkpoint_interval": 4, "pace": 2, "height": 2.0,
                    "platform": "CPU", **settings}
        return MetadConfig(str(self.system_xml), str(self.pdb), str(self.cv), str(out), TEMPERATURE,
                           ns=steps * 0.002 / 1000, state=str(self.state), **settings)


def frame(pdb: Path) -> Frame:
    """Positions and box vectors of a ready structure."""
    structure = read_pdb(pdb)
    return Frame(structure.positions, np.diag(structure.box))


def make_ice_run(folder: Path) -> IceRun:
    """Write the system, a minimised state with velocities, and the untrained CV into ``folder``."""
    ice = read_pdb(SIMULATION_DIR / "crystal" / "ice.pdb")
    system_xml, pdb = write_system_files(ice, "tip4p-ice.xml", folder)
    simulation = make_simulation(ice.topology, openmm.XmlSerializer.deserialize(system_xml.read_text()),
                                 TEMPERATURE, seed=1, platform="CPU")
    minimise(simulation, ice.positions)
    simulation.context.setVelocitiesToTemperature(TEMPERATURE * unit.kelvin, 1)
    state = folder / "state.xml"
    state.write_text(openmm.XmlSerializer.serialize(simulation.context.getState(getPositions=True, getVelocities=True)))
    cv = export_untrained_cv(pdb, frame(SIMULATION_DIR / "melt" / "water.pdb"),
                             frame(SIMULATION_DIR / "crystal" / "ice.pdb"),
                             folder / "cv", TEMPERATURE)
    return IceRun(system_xml, pdb, state, cv)
