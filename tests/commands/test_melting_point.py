"""`latentcv melting-point` on the 288-molecule ice system with its exported (untrained) CV, in real
OpenMM: two pinning runs side by side in worker processes, the fit and the files, resume, and bad
input as one line on stderr. (The melting point of TIP4P/Ice itself is a benchmark: docs/melting.md.)

Exact comparisons: melting_point.json copies each run's pin.json and fits them with
:func:`latentcv.engines.pinning.fit_melting_point`, so equal values are expected to round-off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from latentcv.commands.melting_point import MeltingPointConfig, run_melting_point
from latentcv.engines.pinning import fit_melting_point
from latentcv.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
TEMPERATURES = (250.0, 290.0)


@pytest.fixture(scope="module")
def slab(ice_run, tmp_path_factory) -> Path:
    """A run folder with the three files a slab run folder has (the ice box stands in for a slab)."""
    folder = tmp_path_factory.mktemp("slab")
    for source, name in ((ice_run.system_xml, "system.xml"), (ice_run.pdb, "topology.pdb"),
                         (ice_run.state, "state.xml")):
        (folder / name).symlink_to(source)
    return folder


def _config(ice_run, slab: Path, out: Path, **settings) -> MeltingPointConfig:
    settings = {"ps": 0.024, "kappa": 200.0, "component": "progress", "equilibrate_ps": 0.004, "blocks": 2,
                "report_interval": 2, "checkpoint_interval": 4, "platform": "CPU", "jobs": 2, **settings}
    return MeltingPointConfig(str(ice_run.cv), str(slab), str(out), TEMPERATURES, **settings)


def test_runs_side_by_side_and_fits_them(ice_run, slab, tmp_path) -> None:
    path = run_melting_point(_config(ice_run, slab, tmp_path / "mp"), progress=False)
    result = json.loads(path.read_text())
    assert (path.parent / "melting_point.png").stat().st_size > 0 and (path.parent / "config.json").is_file()
    assert result["jobs"] == 2 and result["threads_per_run"] == max(1, (os.cpu_count() or 1) // 2)
    runs = [json.loads((tmp_path / "mp" / f"T{t:g}K" / "pin.json").read_text()) for t in TEMPERATURES]
    assert [{k: v for k, v in r.items() if k != "folder"} for r in result["runs"]] == runs
    assert runs[0]["target"] == runs[1]["target"]  # both centred on Q of the same start
    t, mu, sigma = (np.array([r[k] for r in runs]) for k in ("temperature_K", "delta_mu_kJ_mol",
                                                               "standard_error_kJ_mol"))
    try:
        expected, reason = asdict(fit_melting_point(t, mu, sigma)), None
    except InputError as err:
        expected, reason = None, str(err)
    assert result["melting_point"] == expected and result["no_melting_point"] == reason
    again = json.loads(run_melting_point(_config(ice_run, slab, tmp_path / "mp"), resume=True,
                                         progress=False).read_text())
    assert again["runs"] == result["runs"]  # finished runs resume to the same estimate


def test_bad_settings(ice_run, slab, tmp_path) -> None:
    with pytest.raises(InputError, match="two temperatures or more"):
        run_melting_point(replace(_config(ice_run, slab, tmp_path / "a"), temperatures=(270.0,)), progress=False)
    with pytest.raises(InputError, match="is not a slab run folder"):
        run_melting_point(_config(ice_run, tmp_path, tmp_path / "b"), progress=False)


def test_command_runs_in_one_process_and_bad_input_is_one_line(ice_run, slab, tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "latentcv.cli", "melting-point", "--cv", str(ice_run.cv), "--component", "progress",
           "--temperatures", "250,290", "--ps", "0.024", "--equilibrate", "0.004", "--kappa", "200",
           "--report-interval", "2", "--blocks", "2", "--platform", "CPU", "--jobs", "1"]
    good = subprocess.run([*run, "--slab", str(slab), "--out", str(tmp_path / "ok")], capture_output=True,
                          text=True, env=env, timeout=600)
    assert good.returncode == 0, good.stderr
    assert "250 K: delta mu =" in good.stdout and (tmp_path / "ok" / "melting_point.json").is_file()
    bad = subprocess.run([*run, "--slab", str(tmp_path / "nowhere"), "--out", str(tmp_path / "bad")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "nowhere" in bad.stderr
