"""`latentcv simulate` as a user runs it: a short ice run, its resume, and bad input."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import mdtraj
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _latentcv(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "latentcv.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def _log_times(path: Path) -> list[float]:
    with open(path, newline="") as handle:
        return [float(row["time_ps"]) for row in csv.DictReader(handle)]


def test_simulate_writes_the_run_folder_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "ice"
    common = ["--system", "ice", "--molecules", "300", "--temperature", "250", "--equilibrate", "0.2",
              "--frame-interval", "0.2", "--seed", "5", "--platform", "CPU", "--out", str(out)]
    first = _latentcv("simulate", *common, "--ps", "0.4")
    assert first.returncode == 0, first.stderr
    assert "asked for 300 molecules, built 288" in first.stderr
    assert "ns/day" in first.stderr and "<00:00" in first.stderr  # speed message, tqdm ETA
    for name in ("topology.pdb", "trajectory.dcd", "system.xml", "state.xml", "log.csv", "config.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "config.json").read_text())["seed"] == 5
    assert _log_times(out / "log.csv") == pytest.approx([0.2, 0.4])

    second = _latentcv("simulate", *common, "--ps", "0.8", "--resume")
    assert second.returncode == 0, second.stderr
    assert _log_times(out / "log.csv") == pytest.approx([0.2, 0.4, 0.6, 0.8])
    trajectory = mdtraj.load(str(out / "trajectory.dcd"), top=str(out / "topology.pdb"))
    assert trajectory.n_frames == 4 and trajectory.n_atoms == 288 * 4
    with open(out / "log.csv", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert 0.85 < float(row["density_g_cm3"]) < 0.95 and float(row["potential_energy_kJ_mol"]) < 0

    changed = _latentcv("simulate", *[a if a != "250" else "260" for a in common], "--ps", "1.0", "--resume")
    assert changed.returncode != 0 and "temperature 250.0 (asked 260.0)" in changed.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--system", "ice9", "--molecules", "10", "--temperature", "250"], "unknown system 'ice9'"),
        (["--system", "ice", "--molecules", "0", "--temperature", "250"], "molecules must be at least 1"),
        (["--system", "water", "--molecules", "10", "--temperature", "0"], "temperature must be positive"),
        (["--system", "water", "--molecules", "10", "--temperature", "-3"], "temperature must be positive"),
    ],
)
def test_bad_input_is_one_line_and_nonzero_exit(options: list[str], message: str, tmp_path: Path) -> None:
    result = _latentcv("simulate", *options, "--ps", "1", "--out", str(tmp_path / "run"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"latentcv simulate: error: {message}")


def test_unwritable_output_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = _latentcv("simulate", "--system", "ice", "--molecules", "288", "--temperature", "250", "--ps", "1",
                       "--out", str(blocker / "run"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write to output directory" in lines[0]
