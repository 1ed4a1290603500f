"""Well-tempered metadynamics on an exported (untrained) latent CV of 288 TIP4P/Ice molecules, with
real OpenMM: hills and outputs, exact resume, walkers, energy conservation of the bias forces, MTS in
a run (the MTS integrator: tests/engines/openmm/test_mts.py).

Runs are a few tens of 2 fs steps on the CPU platform (about 30 ms a step with the CV), except the
resume test, which needs the deterministic Reference platform.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import mdtraj
import numpy as np
import openmm
import pytest
from openmm import unit

from latentcv.commands.metad import run_metad
from latentcv.engines.exported import load
from latentcv.engines.openmm.system_files import write_system_files
from latentcv.errors import InputError
from latentcv.systems.structure import read_pdb
from tests.engines.openmm.energy_checks import DRIFT_FACTOR, ENERGY_SLACK, frozen_bias, nve_energies, spread
from tests.engines.openmm.metad_setup import TEMPERATURE


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


def test_bias_forces_conserve_energy(ice_run) -> None:
    """NVE with a frozen bias against NVE without it, from the same state: the energy spread may be at
    most DRIFT_FACTOR times the unbiased one's."""
    xml, system, state = frozen_bias(ice_run)
    biased, bias = nve_energies(system, ice_run, state, 100)
    plain, _ = nve_energies(openmm.XmlSerializer.deserialize(xml), ice_run, state, 100)
    print(f"NVE 100 steps: energy spread {spread(biased):.3f} kJ/mol with the bias, {spread(plain):.3f} without; "
          f"bias energy {bias.min():.2f}..{bias.max():.2f} kJ/mol")
    assert np.ptp(bias) > 0.5, "the CV should move through the bias during the run"
    assert spread(biased) <= DRIFT_FACTOR * spread(plain) + ENERGY_SLACK


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


def _densities(path) -> np.ndarray:
    with open(path, newline="") as handle:
        return np.array([float(row["density_g_cm3"]) for row in csv.DictReader(handle)])


def test_barostat_interval_with_mts(ice_run, tmp_path) -> None:
    """A System with an anisotropic barostat (every 25 steps), 16 steps of --mts 4 with a row every
    4 steps: the box does not move before step 25, and with --barostat-interval 2 it tries 8 moves
    (some are accepted), on steps that see the bias (test_mts.py)."""
    structure = read_pdb(ice_run.pdb)
    system_xml, _ = write_system_files(structure, "tip4p-ice.xml", tmp_path / "npt", pressure_bar=1.0,
                                       temperature_k=TEMPERATURE, anisotropic=True)
    settings = {"system_xml": str(system_xml), "mts": 4, "pace": 8, "report_interval": 4, "checkpoint_interval": 16}
    default = run_metad(replace(ice_run.config(tmp_path / "default", 16), **settings), progress=False)
    every2 = run_metad(replace(ice_run.config(tmp_path / "every2", 16), **settings, barostat_interval=2),
                       progress=False)
    assert np.ptp(_densities(default.log)) == 0.0
    assert np.ptp(_densities(every2.log)) > 0.0
    assert json.loads(every2.config.read_text())["barostat_interval"] == 2
