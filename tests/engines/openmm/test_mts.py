"""The impulse MTS integrator (``latentcv.engines.openmm.mts``) on real OpenMM Systems.

- K = 1 is plain Langevin dynamics (same trajectory);
- Monte Carlo barostats see only the integration force groups (OpenMM's behaviour the scheme relies
  on), and every barostat move happens on a step that integrates every force group, so the volume
  moves see the bias;
- NVE energy conservation of the bias impulses with 2 fs steps, against the same integrator without
  the bias: the shipped fast CV at metad's default hill width for K = 4 (K = 8 heats with it, see
  ``latentcv/engines/openmm/mts.py``), and the steep untrained CV with narrow hills for K = 2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openmm
import pytest
from openmm import app, unit

from latentcv.commands.export import export_run
from latentcv.engines.openmm.mts import ImpulseMTSIntegrator, barostat_intervals, make_integrator
from latentcv.engines.openmm.simulation import make_simulation
from tests.engines.openmm.energy_checks import DRIFT_FACTOR, ENERGY_SLACK, frozen_bias, nve_energies, spread

SLOW_GROUP = 31
#: The shipped cheaper ice/water model (a trained CV with realistic forces).
FAST_MODEL = Path(__file__).resolve().parents[3] / "models" / "ice-water-fast"
#: Barostat interval of the alignment test: short, so that a few dozen steps hold several moves.
BAROSTAT_EVERY = 5


def _argon(slow_force: bool, barostat_every: int = 0) -> tuple[openmm.System, np.ndarray]:
    """A Lennard-Jones fluid of 125 argon-like atoms (periodic, 2.5 nm box), optionally with a slow
    force in SLOW_GROUP (a harmonic pull of every atom towards the box centre) and an isotropic barostat
    at 1,000 bar (so that volume moves are often accepted)."""
    rng = np.random.default_rng(3)
    grid = np.stack(np.meshgrid(*[np.arange(5)] * 3, indexing="ij"), -1).reshape(-1, 3) * 0.5 + 0.25
    positions = grid + rng.normal(scale=0.02, size=grid.shape)
    system = openmm.System()
    system.setDefaultPeriodicBoxVectors(*(openmm.Vec3(*row) for row in np.eye(3) * 2.5))
    lj = openmm.NonbondedForce()
    lj.setNonbondedMethod(openmm.NonbondedForce.CutoffPeriodic)
    lj.setCutoffDistance(1.0)
    for _ in positions:
        system.addParticle(39.9)
        lj.addParticle(0.0, 0.34, 0.996)
    system.addForce(lj)
    if slow_force:
        pull = openmm.CustomExternalForce("5*((x-1.25)^2 + (y-1.25)^2 + (z-1.25)^2)")
        for i in range(len(positions)):
            pull.addParticle(i, [])
        pull.setForceGroup(SLOW_GROUP)
        system.addForce(pull)
    if barostat_every:
        barostat = openmm.MonteCarloBarostat(1000 * unit.bar, 120 * unit.kelvin, barostat_every)
        barostat.setRandomNumberSeed(5)
        system.addForce(barostat)
    return system, positions


def _simulation(system: openmm.System, positions: np.ndarray, integrator: openmm.Integrator) -> app.Simulation:
    topology = app.Topology()
    chain = topology.addChain()
    for _ in positions:
        topology.addAtom("AR", app.element.argon, topology.addResidue("AR", chain))
    simulation = make_simulation(topology, system, 120.0, 1, "CPU", integrator)
    simulation.context.setPositions(positions)
    simulation.context.setVelocitiesToTemperature(120 * unit.kelvin, 2)
    return simulation


def _langevin() -> openmm.LangevinMiddleIntegrator:
    integrator = openmm.LangevinMiddleIntegrator(120 * unit.kelvin, 1 / unit.picosecond, 0.002 * unit.picosecond)
    integrator.setRandomNumberSeed(4)
    return integrator


def _volumes(system: openmm.System, positions: np.ndarray, integrator: openmm.Integrator, steps: int) -> list[float]:
    """Box volume (nm3) after each of ``steps`` single steps."""
    simulation = _simulation(system, positions, integrator)
    volumes = []
    for _ in range(steps):
        simulation.step(1)
        volumes.append(simulation.context.getState().getPeriodicBoxVolume().value_in_unit(unit.nanometer**3))
    return volumes


def test_barostat_sees_only_the_integration_force_groups() -> None:
    """The premise of the barostat handling, checked on OpenMM itself: with the slow group left out of
    LangevinMiddleIntegrator's integration groups, the box follows exactly the path it follows without
    the slow force in the System (the volume moves ignore it), while the box does move."""
    without = _volumes(*_argon(False, BAROSTAT_EVERY), _langevin(), 30)
    fast_only = _langevin()
    fast_only.setIntegrationForceGroups({0})
    excluded = _volumes(*_argon(True, BAROSTAT_EVERY), fast_only, 30)
    assert excluded == without
    assert len(set(without)) > 1


def test_k1_is_plain_langevin() -> None:
    """CPU platform, 40 steps: impulse MTS with K = 1 (an impulse of the slow group before each step of
    Langevin on the fast groups) gives the positions of LangevinMiddleIntegrator on every group, to
    1e-9 nm (the forces are summed in another order), with the same step count and time."""
    runs = []
    for integrator in (_langevin(), ImpulseMTSIntegrator(_langevin(), SLOW_GROUP, 1)):
        simulation = _simulation(*_argon(True), integrator)
        simulation.step(40)
        state = simulation.context.getState(getPositions=True)
        runs.append((state.getPositions(asNumpy=True).value_in_unit(unit.nanometer), simulation.currentStep,
                     state.getTime().value_in_unit(unit.picosecond)))
    (x0, step0, time0), (x1, step1, time1) = runs
    assert np.abs(x0 - _argon(True)[1]).max() > 0.01, "the atoms should have moved"
    np.testing.assert_allclose(x1, x0, atol=1e-9)
    assert step1 == step0 == 40 and time1 == pytest.approx(time0)


@pytest.mark.parametrize("mts", [3, 4])
def test_barostat_moves_only_on_steps_with_every_force_group(mts: int) -> None:
    """One step at a time for 60 steps: the box changes only on the steps that the integrator takes
    with every force group (the barostat's own count of steps), and it does change. (The volume path
    is not that of plain Langevin dynamics: the barostat draws from OpenMM's shared random number
    generator, which the impulse's CustomIntegrator also uses.)"""
    system, positions = _argon(True, BAROSTAT_EVERY)
    integrator = ImpulseMTSIntegrator(_langevin(), SLOW_GROUP, mts, barostat_intervals(system))
    simulation = _simulation(system, positions, integrator)
    moved, full = [], []
    volume = simulation.context.getState().getPeriodicBoxVolume()
    for step in range(1, 61):
        full.append(integrator.full_step(step))
        simulation.step(1)
        new = simulation.context.getState().getPeriodicBoxVolume()
        moved.append(new != volume)
        volume = new
    assert integrator.barostat_every == [BAROSTAT_EVERY]
    assert sum(moved) >= 3, "the barostat should accept some moves at 1,000 bar"
    assert all(f for m, f in zip(moved, full) if m), "a volume move on a step without the slow force"
    assert sum(full) == 60 // BAROSTAT_EVERY
    assert simulation.currentStep == 60


def test_step_count_and_time_advance_by_the_fast_steps() -> None:
    """Impulses do not count as steps: Simulation.currentStep and the time follow the 2 fs steps, also
    for step counts that end inside a cycle."""
    integrator = make_integrator(_argon(True)[0], 120.0, 1, 4, SLOW_GROUP)
    assert isinstance(integrator, ImpulseMTSIntegrator)
    simulation = _simulation(*_argon(True), integrator)
    for steps in (3, 7, 10):
        simulation.step(steps)
    assert simulation.currentStep == 20 == integrator.steps_taken
    assert simulation.context.getState().getTime().value_in_unit(unit.picosecond) == pytest.approx(0.04)
    assert isinstance(make_integrator(_argon(True)[0], 120.0, 1, 1, SLOW_GROUP), openmm.LangevinMiddleIntegrator)


def test_unbound_integrator_refuses_to_step() -> None:
    with pytest.raises(RuntimeError, match="bind"):
        ImpulseMTSIntegrator(_langevin(), SLOW_GROUP, 2).step(1)


#: Velocity seeds of the NVE runs of each energy check: an ensemble, since one chaotic run can meet a
#: narrow hill's steep flank at the worst moment of an impulse cycle (seen once: 88.8 kJ/mol against
#: 22.7 without the bias), and what the scheme guarantees is the typical run.
NVE_SEEDS = (1, 2, 3)


def _nve_spreads(
    ice_run, mts: int, frozen: tuple[str, openmm.System, openmm.State], steps: int
) -> tuple[float, float, float]:
    """Median energy spreads (kJ/mol) of NVE runs of ``steps`` 2 fs leapfrog Verlet steps with the
    frozen bias as impulses every ``mts`` steps and without the bias (same integrator, same
    configuration, velocities drawn with each seed of NVE_SEEDS), sampled at the ends of whole
    cycles, and the range of the bias energy seen."""
    xml, system, state = frozen
    unbiased = openmm.XmlSerializer.deserialize(xml)
    biased, plain, seen = [], [], []
    for seed in NVE_SEEDS:
        energies, bias = nve_energies(system, ice_run, state, steps, ImpulseMTSIntegrator(
            openmm.VerletIntegrator(0.002), SLOW_GROUP, mts), every=mts, velocity_seed=seed)
        reference, _ = nve_energies(unbiased, ice_run, state, steps, ImpulseMTSIntegrator(
            openmm.VerletIntegrator(0.002), SLOW_GROUP, mts), every=mts, velocity_seed=seed)
        biased.append(spread(energies))
        plain.append(spread(reference))
        seen.append(float(np.ptp(bias)))
    print(f"impulse MTS K={mts}, {steps} steps of 2 fs: energy spreads {', '.join(f'{b:.2f}' for b in biased)} "
          f"kJ/mol with the bias, {', '.join(f'{p:.2f}' for p in plain)} without; bias energy range "
          f"{', '.join(f'{s:.2f}' for s in seen)} kJ/mol")
    return float(np.median(biased)), float(np.median(plain)), float(np.median(seen))


@pytest.fixture(scope="module")
def trained_bias(ice_run, tmp_path_factory) -> tuple[str, openmm.System, openmm.State]:
    """The shipped ice-water-fast progress CV exported for the 288-molecule ice, with the hills of
    200 steps of metadynamics at latentcv metad's settings (height 1 kJ/mol, the CV's suggested
    width; pace 10 steps here, to have 20 hills)."""
    cv = export_run(FAST_MODEL, ice_run.pdb, tmp_path_factory.mktemp("fast") / "cv", heads=("progress",))
    return frozen_bias(ice_run, cv, sigma=None, height=1.0, pace=10, steps=200)


def test_impulses_of_a_trained_bias_conserve_energy(ice_run, trained_bias) -> None:
    """The shipped CV at metad's default hill width: impulses every 8 fs (K = 4) leave the median
    NVE energy spread over 200 fs (NVE_SEEDS) within DRIFT_FACTOR times the unbiased one."""
    biased, plain, crossed = _nve_spreads(ice_run, 4, trained_bias, 100)
    assert crossed > 0.5, "the CV should move through the bias during the run"
    assert biased <= DRIFT_FACTOR * plain + ENERGY_SLACK


def test_impulses_of_a_steep_bias_conserve_energy_every_4_fs(ice_run) -> None:
    """The stress case: narrow hills (sigma 0.005, 5 kJ/mol) on the steep untrained CV, impulses every
    2 steps of 2 fs; the median spread of NVE_SEEDS' runs. (Every 4 steps, 8 fs, the spread grew to
    61 against 10.5 kJ/mol: the time between impulses must shrink with the width of the hills; see
    latentcv/engines/openmm/mts.py.)"""
    biased, plain, crossed = _nve_spreads(ice_run, 2, frozen_bias(ice_run), 100)
    assert crossed > 0.5, "the CV should move through the bias during the run"
    assert biased <= DRIFT_FACTOR * plain + ENERGY_SLACK
