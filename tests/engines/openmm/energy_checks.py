"""Energy conservation checks of the bias forces, shared by the metadynamics and MTS tests: NVE runs
with a frozen bias of narrow hills on the untrained CV of :mod:`tests.engines.openmm.metad_setup`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openmm
from openmm import app, unit

from latentcv.engines.openmm.bias import ResumableMetadynamics
from latentcv.engines.openmm.cv_force import bias_variable
from latentcv.engines.openmm.simulation import make_simulation
from latentcv.engines.openmm.torch_threads import limit_torch_threads_for_platform
from tests.engines.openmm.metad_setup import TEMPERATURE, IceRun

#: The biased NVE run's energy spread may be at most this many times the unbiased one's (plus
#: ENERGY_SLACK), over the same steps from the same state.
DRIFT_FACTOR = 2.0
ENERGY_SLACK = 0.5  # kJ/mol, for an unbiased spread that happens to be tiny
#: Velocity-Verlet step of the NVE comparison, ps. At 2 fs the spread of the narrow-hill bias on the
#: untrained (steep) CV reached 2.2 times the unbiased one in one of several runs; at 1 fs both shrink.
NVE_STEP_PS = 0.001
#: Force group of the bias (ResumableMetadynamics puts it in the highest free one).
BIAS_GROUP = 31


def nve_energies(system: openmm.System, ice_run: IceRun, state: openmm.State, steps: int,
                 integrator: openmm.Integrator | None = None, every: int = 5,
                 velocity_seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Total energies and bias energies (kJ/mol) every ``every`` steps of ``integrator`` (default:
    velocity Verlet at NVE_STEP_PS) on the CPU platform, from ``state`` (with velocities drawn anew
    at TEMPERATURE when ``velocity_seed`` is given)."""
    limit_torch_threads_for_platform("CPU")
    integrator = integrator or openmm.VerletIntegrator(NVE_STEP_PS)
    simulation = make_simulation(app.PDBFile(str(ice_run.pdb)).topology, system, TEMPERATURE, 1, "CPU", integrator)
    simulation.context.setState(state)
    if velocity_seed is not None:
        simulation.context.setVelocitiesToTemperature(TEMPERATURE * unit.kelvin, velocity_seed)
    total, bias = [], []
    for _ in range(steps // every + 1):
        s = simulation.context.getState(getEnergy=True)
        total.append((s.getPotentialEnergy() + s.getKineticEnergy()).value_in_unit(unit.kilojoule_per_mole))
        bias.append(simulation.context.getState(getEnergy=True, groups={BIAS_GROUP}).getPotentialEnergy()
                    .value_in_unit(unit.kilojoule_per_mole))
        simulation.step(every)
    return np.array(total), np.array(bias)


def frozen_bias(
    ice_run: IceRun, cv: Path | None = None, sigma: float | None = 0.005, height: float = 5.0, pace: int = 2,
    steps: int = 12,
) -> tuple[str, openmm.System, openmm.State]:
    """The System with the hills of ``steps`` Langevin steps of well-tempered metadynamics on
    component 0 of ``cv`` (default the untrained CV of ``ice_run``; ``sigma`` None = the CV's
    suggested width) and none added later, its XML without the bias, and the state after them. The
    defaults give 6 narrow hills of about 5 kJ/mol where the CV is."""
    xml = ice_run.system_xml.read_text()
    system = openmm.XmlSerializer.deserialize(xml)
    variable = bias_variable(cv or ice_run.cv, 0, sigma=sigma)
    metad = ResumableMetadynamics(system, [variable], TEMPERATURE, 10.0, height, pace)
    assert metad.bias_group == BIAS_GROUP
    integrator = openmm.LangevinMiddleIntegrator(TEMPERATURE, 1.0, 0.002)
    integrator.setRandomNumberSeed(7)  # the same hills in every test and run
    simulation = make_simulation(app.PDBFile(str(ice_run.pdb)).topology, system, TEMPERATURE, 7, "CPU", integrator)
    simulation.loadState(str(ice_run.state))
    metad.step(simulation, steps)
    simulation.step(1)  # off the centre of the last hill, where its force vanishes
    state = simulation.context.getState(getPositions=True, getVelocities=True)
    forces = simulation.context.getState(getForces=True, groups={BIAS_GROUP}).getForces(asNumpy=True)
    assert np.abs(forces.value_in_unit(unit.kilojoule_per_mole / unit.nanometer)).max() > 1.0, "a bias with forces"
    return xml, system, state


def spread(energies: np.ndarray) -> float:
    """Largest deviation (kJ/mol) from the first energy."""
    return float(np.abs(energies - energies[0]).max())
