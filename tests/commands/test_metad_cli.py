"""`latentcv metad` as a user runs it: a short run, and bad input as one line on stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _latentcv(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "latentcv.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def _args(ice_run, out: Path, **changes: str | None) -> list[str]:
    options = {"--system-xml": str(ice_run.system_xml), "--pdb": str(ice_run.pdb), "--state": str(ice_run.state),
               "--cv": str(ice_run.cv), "--temperature": "270", "--ns": "0.000016", "--pace": "4",
               "--report-interval": "4", "--checkpoint-interval": "8", "--platform": "CPU", "--out": str(out)}
    options.update(changes)
    return [item for key, value in options.items() if value is not None for item in (key, value)]


def test_metad_command_runs(ice_run, tmp_path) -> None:
    out = tmp_path / "run"
    result = _latentcv("metad", *_args(ice_run, out, **{"--components": "0,1", "--sigma": "0.05,0.05"}))
    assert result.returncode == 0, result.stderr
    assert "ns/day" in result.stderr and f"results in {out}" in result.stdout
    config = json.loads((out / "config.json").read_text())
    assert config["components"] == [0, 1] and config["sigma"] == [0.05, 0.05]
    assert (out / "colvar.csv").read_text().splitlines()[0] == "time_ps,progress,off_axis,bias_kJ_mol"
    assert (out / "fes.png").is_file() and (out / "cv_time.png").is_file()


def _other_particle_count(ice_run, tmp_path) -> str:
    cv = tmp_path / "cv-other"
    shutil.copytree(ice_run.cv, cv)
    meta = json.loads((cv / "metadata.json").read_text())
    (cv / "metadata.json").write_text(json.dumps({**meta, "n_particles": meta["n_particles"] + 4}))
    return str(cv)


def _unconstrained_fixed_bond(ice_run, tmp_path) -> str:
    """The CV folder, saying it was exported with a fixed bond the System does not constrain (O to O)."""
    cv = tmp_path / "cv-fixed"
    shutil.copytree(ice_run.cv, cv)
    meta = json.loads((cv / "metadata.json").read_text())
    (cv / "metadata.json").write_text(json.dumps({**meta, "fixed_bonds": {"pairs": [[0, 4]], "lengths_nm": [0.28]}}))
    return str(cv)


BAD = {
    "missing system": ({"--system-xml": "nowhere/system.xml"}, "system XML file not found"),
    "missing cv": ({"--cv": "nowhere/cv"}, "not an exported CV folder"),
    "component out of range": ({"--components": "0,5"}, "has CV components 0..1, not 5"),
    "negative height": ({"--height": "-1"}, "height must be positive"),
    "walker id alone": ({"--walker-id": "1"}, "--walker-id and --walkers-dir go together"),
    "pace not a multiple of mts": ({"--mts": "4", "--pace": "6"}, "pace must be a positive multiple of --mts"),
    "resume without a run": ({"--resume": None}, "cannot resume"),
    "barostat interval 0": ({"--barostat-interval": "0"}, "--barostat-interval must be at least 1"),
    "barostat interval without barostat": ({"--barostat-interval": "50"}, "has no barostat (constant volume)"),
}


@pytest.mark.parametrize("case", list(BAD) + ["other particle count", "fixed bond not constrained"])
def test_bad_input_is_one_line(ice_run, tmp_path, case: str) -> None:
    if case == "other particle count":
        changes, message = {"--cv": _other_particle_count(ice_run, tmp_path)}, "exported for 1156 particles"
    elif case == "fixed bond not constrained":
        changes = {"--cv": _unconstrained_fixed_bond(ice_run, tmp_path)}
        message = "does not constrain the bond of particles 0 and 4"
    else:
        changes, message = BAD[case]
    args = _args(ice_run, tmp_path / "run", **changes)
    if "--resume" in changes:
        args.append("--resume")
    result = _latentcv("metad", *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("latentcv metad: error:") and message in lines[0], result.stderr
