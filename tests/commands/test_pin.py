"""Interface pinning (`latentcv pin`) on the 288-molecule ice system with its exported (untrained)
CV, in real OpenMM: the spring's energy and forces against the bare TorchForce, the Δμ estimate
against the colvar it is computed from, exact resume, and bad input as one line on stderr.

Tolerances: the spring's energy and forces are computed by OpenMM's CustomCVForce from the same
TorchForce in the same context, so they equal ½ κ (Q − A)² and −κ (Q − A) ∇Q up to float32
rounding of the CV's forces (rtol 1e-5, atol 1e-4 of the largest force).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openmm
import pytest
from openmm import unit

from latentcv.commands.pin import PinConfig, run_pin
from latentcv.engines.openmm.cv_force import torch_force
from latentcv.engines.openmm.pinning import HarmonicPin
from latentcv.errors import InputError
from tests.engines.openmm.metad_setup import TEMPERATURE

ROOT = Path(__file__).resolve().parents[2]
KAPPA, TARGET = 200.0, 0.5


def _config(ice_run, out: Path, steps: int, **settings) -> PinConfig:
    settings = {"report_interval": 2, "checkpoint_interval": 4, "platform": "CPU", "component": "progress",
                "blocks": 2, "target": TARGET, "kappa": KAPPA, **settings}
    return PinConfig(str(ice_run.system_xml), str(ice_run.pdb), str(ice_run.cv), str(out), TEMPERATURE,
                     ps=steps * 0.002, state=str(ice_run.state), **settings)


def _q(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return np.array([float(r["time_ps"]) for r in rows]), np.array([float(r["progress"]) for r in rows])


def test_spring_energy_and_forces(ice_run) -> None:
    system = openmm.XmlSerializer.deserialize(ice_run.system_xml.read_text())
    for force in system.getForces():
        force.setForceGroup(0)
    pin = HarmonicPin(system, ice_run.cv, 0, TARGET, KAPPA)
    system.addForce(torch_force(ice_run.cv, 0, force_group=1))
    state = openmm.XmlSerializer.deserialize(ice_run.state.read_text())
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("CPU"))
    context.setState(state)
    q_state = context.getState(getEnergy=True, getForces=True, groups={1})
    q = q_state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    grad_q = -q_state.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)
    bias = context.getState(getEnergy=True, getForces=True, groups={pin.bias_group})
    energy = bias.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    forces = bias.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)
    assert pin.bias_group not in (0, 1)
    np.testing.assert_allclose(context.getParameter("pin_target"), TARGET)
    np.testing.assert_allclose(energy, 0.5 * KAPPA * (q - TARGET) ** 2, rtol=1e-5)
    expected = -KAPPA * (q - TARGET) * grad_q
    np.testing.assert_allclose(forces, expected, rtol=1e-5, atol=1e-4 * np.abs(expected).max())


def test_estimate_is_the_spring_force_of_the_colvar(ice_run, tmp_path) -> None:
    files = run_pin(_config(ice_run, tmp_path / "pin", 16, equilibrate_ps=0.004), progress=False)
    for path in (files.colvar, files.log, files.trajectory, files.cv_time_png, files.config, files.state,
                 files.checkpoint, files.result):
        assert path.is_file() and path.stat().st_size > 0, path
    result = json.loads(files.result.read_text())
    time, q = _q(files.colvar)
    np.testing.assert_allclose(time, np.arange(9) * 0.004)
    kept = q[time > 0.004]
    assert result["frames"] == kept.size == 7
    assert result["molecules"] == 288 and result["cv"] == str(ice_run.cv) and result["ps"] == 16 * 0.002
    np.testing.assert_allclose(result["delta_mu_kJ_mol"], KAPPA * (TARGET - kept.mean()), rtol=1e-12)
    blocks = kept[1:].reshape(2, 3).mean(axis=1)  # 7 values in 2 blocks: the first one is left out
    np.testing.assert_allclose(result["standard_error_kJ_mol"], KAPPA * blocks.std(ddof=1) / np.sqrt(2), rtol=1e-12)
    kt = unit.MOLAR_GAS_CONSTANT_R.value_in_unit(unit.kilojoule_per_mole / unit.kelvin) * TEMPERATURE
    np.testing.assert_allclose(result["delta_mu_kT"], result["delta_mu_kJ_mol"] / kt)


def test_resume_continues_exactly(ice_run, tmp_path) -> None:
    """Reference platform: 16 steps in one go against 8 steps and a resume to 16; same colvar and Δμ."""
    whole = run_pin(_config(ice_run, tmp_path / "whole", 16, platform="Reference"), progress=False)
    run_pin(_config(ice_run, tmp_path / "part", 8, platform="Reference"), progress=False)
    part = run_pin(_config(ice_run, tmp_path / "part", 16, platform="Reference"), resume=True, progress=False)
    assert whole.colvar.read_text() == part.colvar.read_text()
    a, b = (json.loads(f.result.read_text()) for f in (whole, part))
    assert a["delta_mu_kJ_mol"] == b["delta_mu_kJ_mol"] and a["ps"] == b["ps"]


def test_default_target_is_the_start(ice_run, tmp_path) -> None:
    """Without a target the spring is centred on Q of the starting State: no pull at t = 0, and the
    centre is saved in config.json and pin.json (a resumed run keeps it)."""
    files = run_pin(_config(ice_run, tmp_path / "pin", 8, target=None), progress=False)
    _, q = _q(files.colvar)
    saved = json.loads(files.config.read_text())["target"]
    assert saved == json.loads(files.result.read_text())["target"] == pytest.approx(q[0], rel=1e-6)
    with open(files.colvar, newline="") as handle:
        assert float(next(csv.DictReader(handle))["bias_kJ_mol"]) == pytest.approx(0.0, abs=1e-6)
    again = run_pin(_config(ice_run, tmp_path / "pin", 12, target=None), resume=True, progress=False)
    assert json.loads(again.result.read_text())["target"] == saved

@pytest.mark.parametrize("changes, message", [
    ({"kappa": -1.0}, "kappa must be positive"),
    ({"equilibrate_ps": 1.0}, "must be shorter than the run"),
    ({"component": "nope"}, "has no component 'nope'"),
])
def test_bad_settings(ice_run, tmp_path, changes, message) -> None:
    with pytest.raises(InputError, match=message):
        run_pin(_config(ice_run, tmp_path / "bad", 8, **changes), progress=False)


def test_command_runs_and_bad_input_is_one_line(ice_run, tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["--system-xml", str(ice_run.system_xml), "--pdb", str(ice_run.pdb), "--state", str(ice_run.state),
            "--cv", str(ice_run.cv), "--component", "progress", "--target", "0.5", "--kappa", "200",
            "--temperature", "270", "--ps", "0.016", "--report-interval", "2", "--blocks", "2", "--platform", "CPU"]
    run = [sys.executable, "-m", "latentcv.cli", "pin", *args]
    good = subprocess.run([*run, "--out", str(tmp_path / "ok")], capture_output=True, text=True, env=env, timeout=600)
    assert good.returncode == 0, good.stderr
    assert "delta mu =" in good.stdout and (tmp_path / "ok" / "pin.json").is_file()
    bad = subprocess.run([*run, "--out", str(tmp_path / "bad"), "--state", str(tmp_path / "missing.xml")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "missing.xml" in bad.stderr
