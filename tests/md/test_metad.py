"""Well-tempered metadynamics on an exported (untrained) latent CV of 288 TIP4P/Ice molecules, with
real OpenMM: hills and outputs, exact resume, walkers, energy conservation of the bias forces, MTS.

Runs are a few tens of 2 fs steps on the CPU platform (about 30 ms a step with the CV), except the
resume test, which needs the deterministic Reference platform.
"""

from __future__ import annotations

import csv

import mdtraj
import numpy as np
import openmm
import pytest
from openmm import app, unit

from latentcv.cv.load import load
from latentcv.errors import InputError
from latentcv.md.bias import ResumableMetadynamics
from latentcv.md.cv_force import bias_variable
from latentcv.md.metad import run_metad
from latentcv.md.platforms import pick_platform
from latentcv.md.torch_threads import limit_torch_threads_for_platform
from tests.md.metad_setup import TEMPERATURE

#: Energy conservation: the biased NVE run's energy spread may be at most this many times the
#: unbiased one's (plus ENERGY_SLACK), over the same steps from the same state.
DRIFT_FACTOR = 2.0
ENERGY_SLACK = 0.5  # kJ/mol, for an unbiased spread that happens to be tiny
#: Velocity-Verlet step of the NVE comparison, ps. At 2 fs the spread of the narrow-hill bias on the
#: untrained (steep) CV reached 2.2 times the unbiased one in one of several runs; at 1 fs both shrink.
NVE_STEP_PS = 0.001
#: Inner steps per outer step of the MTS energy test (the bias every 4 fs).
MTS_K = 4


def _colvar(path) -> dict[str, np.ndarray]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(row[key]) for row in rows]) for key in rows[0]}


def test_hills_bias_free_energy_and_outputs(ice_run, tmp_path) -> None:
    out = tmp_path / "run"
    files = run_metad(ice_run.config(out, 16, pace=4, checkpoint_interval=8), progress=False)
    first = np.load(files.bias)
    run_metad(ice_run.config(out, 32, pace=4, checkpoint_interval=8), resume=True, progress=False)
    bias, fes, grid = np.load(files.bias), np.load(files.fes), np.load(files.grid)
    for path in (files.colvar, files.log, files.trajectory, files.fes_png, files.cv_time_png, files.config,
                 files.state, files.checkpoint):
        assert path.is_file() and path.stat().st_size > 0, path
    assert 0 < first.sum() < bias.sum(), "hills every 4 steps: the bias should grow"
    assert bias.max() <= 8 * 2.0, "at most 8 hills of at most 2 kJ/mol each"
    assert bias.shape == grid["progress"].shape
    gamma = 10.0
    np.testing.assert_allclose(fes, -gamma / (gamma - 1) * bias)  # -(T + dT)/dT * bias
    assert np.isfinite(fes).all()
    colvar = _colvar(files.colvar)
    np.testing.assert_allclose(colvar["time_ps"], np.arange(9) * 0.008)
    assert colvar["bias_kJ_mol"][0] == 0 and colvar["bias_kJ_mol"][-1] > 0
    assert mdtraj.load(str(files.trajectory), top=str(ice_run.pdb)).n_frames == 9
    log = _colvar(files.log)
    assert (log["temperature_K"][1:] > 50).all() and (log["potential_energy_kJ_mol"] < 0).all()


def test_resume_continues_exactly(ice_run, tmp_path) -> None:
    """Reference platform: 16 steps in one go against 8 steps and a resume to 16, with hills in both
    halves; positions, velocities, bias and colvar.csv are bit for bit the same."""
    settings = {"platform": "Reference", "pace": 2}
    whole = run_metad(ice_run.config(tmp_path / "whole", 16, **settings), progress=False)
    part = run_metad(ice_run.config(tmp_path / "part", 8, **settings), progress=False)
    run_metad(ice_run.config(tmp_path / "part", 16, **settings), resume=True, progress=False)
    states = [openmm.XmlSerializer.deserialize(f.state.read_text()) for f in (whole, part)]
    for get in ("getPositions", "getVelocities"):
        a, b = (getattr(s, get)(asNumpy=True).value_in_unit(s.getPositions().unit if get == "getPositions" else
                                                               unit.nanometer / unit.picosecond) for s in states)
        np.testing.assert_array_equal(a, b)
    assert states[0].getStepCount() == states[1].getStepCount() == 8 * 2
    np.testing.assert_array_equal(np.load(whole.bias), np.load(part.bias))
    assert whole.colvar.read_text() == part.colvar.read_text()
    assert mdtraj.load(str(part.trajectory), top=str(ice_run.pdb)).n_frames == 5


def test_resume_cuts_files_back_to_the_checkpoint(ice_run, tmp_path) -> None:
    """Rows and frames written after the last checkpoint (a run killed between the two) are dropped."""
    out = tmp_path / "run"
    files = run_metad(ice_run.config(out, 8, checkpoint_interval=8), progress=False)
    saved = files.checkpoint.read_bytes()
    run_metad(ice_run.config(out, 16, checkpoint_interval=8), resume=True, progress=False)
    files.checkpoint.write_bytes(saved)  # as if killed after the 16-step frame but before its checkpoint
    run_metad(ice_run.config(out, 16, checkpoint_interval=8), resume=True, progress=False)
    np.testing.assert_allclose(_colvar(files.colvar)["time_ps"], np.arange(5) * 0.008)
    assert mdtraj.load(str(files.trajectory), top=str(ice_run.pdb)).n_frames == 5


def test_walkers_share_their_bias(ice_run, tmp_path) -> None:
    walkers = tmp_path / "walkers"
    first = run_metad(ice_run.config(tmp_path / "w0", 8, walkers_dir=str(walkers), walker_id=0), progress=False)
    second = run_metad(ice_run.config(tmp_path / "w1", 4, walkers_dir=str(walkers), walker_id=1, seed=2),
                       progress=False)
    own, shared = np.load(first.bias), np.load(second.bias)
    assert own.sum() > 0
    assert (shared >= own - 1e-12).all() and shared.sum() > own.sum(), "walker 1 adds its hills to walker 0's"
    assert sorted(p.name.split("_")[1] for p in walkers.glob("bias_*.npy")) == ["0", "1"]
    with pytest.raises(InputError, match="walker 0 already has a bias"):
        run_metad(ice_run.config(tmp_path / "w0-again", 4, walkers_dir=str(walkers), walker_id=0), progress=False)


def _nve_energies(system: openmm.System, ice_run, state: openmm.State, steps: int,
                  integrator: openmm.Integrator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Total energies and bias energies (kJ/mol) every 5 steps of ``integrator`` (default: velocity
    Verlet at NVE_STEP_PS) on the CPU platform."""
    platform, properties = pick_platform("CPU")
    limit_torch_threads_for_platform("CPU")
    integrator = integrator or openmm.VerletIntegrator(NVE_STEP_PS)
    simulation = app.Simulation(app.PDBFile(str(ice_run.pdb)).topology, system, integrator, platform, properties)
    simulation.context.setState(state)
    total, bias = [], []
    for _ in range(steps // 5 + 1):
        s = simulation.context.getState(getEnergy=True)
        total.append((s.getPotentialEnergy() + s.getKineticEnergy()).value_in_unit(unit.kilojoule_per_mole))
        bias.append(simulation.context.getState(getEnergy=True, groups={31}).getPotentialEnergy()
                    .value_in_unit(unit.kilojoule_per_mole))
        simulation.step(5)
    return np.array(total), np.array(bias)


def _frozen_bias(ice_run) -> tuple[str, openmm.System, openmm.State]:
    """The System with 6 hills of about 5 kJ/mol deposited where the CV is (none are added later),
    its XML without the bias, and the state after depositing them."""
    xml = ice_run.system_xml.read_text()
    system = openmm.XmlSerializer.deserialize(xml)
    metad = ResumableMetadynamics(system, [bias_variable(ice_run.cv, 0, sigma=0.005)], TEMPERATURE, 10.0, 5.0, 2)
    platform, properties = pick_platform("CPU")
    integrator = openmm.LangevinMiddleIntegrator(TEMPERATURE, 1.0, 0.002)
    integrator.setRandomNumberSeed(7)  # the same hills in every test and run
    simulation = app.Simulation(app.PDBFile(str(ice_run.pdb)).topology, system, integrator, platform, properties)
    simulation.loadState(str(ice_run.state))
    metad.step(simulation, 12)
    simulation.step(1)  # off the centre of the last hill, where its force vanishes
    state = simulation.context.getState(getPositions=True, getVelocities=True)
    forces = simulation.context.getState(getForces=True, groups={31}).getForces(asNumpy=True)
    assert np.abs(forces.value_in_unit(unit.kilojoule_per_mole / unit.nanometer)).max() > 1.0, "a bias with forces"
    return xml, system, state


def _spread(energies: np.ndarray) -> float:
    return float(np.abs(energies - energies[0]).max())


def test_bias_forces_conserve_energy(ice_run) -> None:
    """NVE with a frozen bias against NVE without it, from the same state: the energy spread may be at
    most DRIFT_FACTOR times the unbiased one's."""
    xml, system, state = _frozen_bias(ice_run)
    biased, bias = _nve_energies(system, ice_run, state, 100)
    plain, _ = _nve_energies(openmm.XmlSerializer.deserialize(xml), ice_run, state, 100)
    print(f"NVE 100 steps: energy spread {_spread(biased):.3f} kJ/mol with the bias, {_spread(plain):.3f} without; "
          f"bias energy {bias.min():.2f}..{bias.max():.2f} kJ/mol")
    assert np.ptp(bias) > 0.5, "the CV should move through the bias during the run"
    assert _spread(biased) <= DRIFT_FACTOR * _spread(plain) + ENERGY_SLACK


def _respa(system: openmm.System) -> openmm.MTSIntegrator:
    """Velocity-Verlet RESPA (openmm.MTSIntegrator): the bias group once per outer step of
    MTS_K × NVE_STEP_PS, every other group MTS_K times with NVE_STEP_PS; the splitting of
    MTSLangevinIntegrator without its thermostat."""
    fast = sorted({force.getForceGroup() for force in system.getForces()} - {31})
    return openmm.MTSIntegrator(MTS_K * NVE_STEP_PS, [(31, 1)] + [(group, MTS_K) for group in fast])


def test_mts_bias_conserves_energy(ice_run) -> None:
    """Energy behaviour of --mts: NVE with the frozen bias applied as an impulse every MTS_K inner
    steps against the same RESPA integrator without the bias, from the same state: the energy
    spread may be at most DRIFT_FACTOR times the unbiased one's.

    The reference is RESPA itself, not plain velocity Verlet: with the rigid TIP4P/Ice water
    (constraints) RESPA's own spread over 100 fs was about 4 times Verlet's at the inner step here
    (40 against 9.5 kJ/mol, bias or not); the bias's impulses added 0.1 kJ/mol to it."""
    xml, system, state = _frozen_bias(ice_run)
    biased, bias = _nve_energies(system, ice_run, state, 100 // MTS_K, _respa(system))
    unbiased = openmm.XmlSerializer.deserialize(xml)
    plain, _ = _nve_energies(unbiased, ice_run, state, 100 // MTS_K, _respa(unbiased))
    print(f"RESPA K={MTS_K}, 100 inner steps: energy spread {_spread(biased):.3f} kJ/mol with the bias, "
          f"{_spread(plain):.3f} without; bias energy {bias.min():.2f}..{bias.max():.2f} kJ/mol")
    assert np.ptp(bias) > 0.5, "the CV should move through the bias during the run"
    assert _spread(biased) <= DRIFT_FACTOR * _spread(plain) + ENERGY_SLACK


def test_mts_gives_the_same_cv_on_the_first_steps(ice_run, tmp_path) -> None:
    """MTS with K = 2 (bias and CV every 4 fs) against plain 2 fs steps, before any hill: identical
    at the start, and within a tenth of a hill width over the first 16 fs (the two integrators draw
    different Langevin noise, so the trajectories part slowly; seen here: 2.4e-3 against sigma 0.05)."""
    settings = {"pace": 1000, "report_interval": 2, "checkpoint_interval": 8}
    plain = _colvar(run_metad(ice_run.config(tmp_path / "plain", 8, **settings), progress=False).colvar)
    mts = _colvar(run_metad(ice_run.config(tmp_path / "mts", 8, mts=2, **settings), progress=False).colvar)
    np.testing.assert_allclose(mts["time_ps"], plain["time_ps"])
    assert mts["progress"][0] == plain["progress"][0]
    sigma = load(ice_run.cv).component(0)["sigma"]
    np.testing.assert_allclose(mts["progress"], plain["progress"], atol=0.1 * sigma)
