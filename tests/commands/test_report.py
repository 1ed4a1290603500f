"""``latentcv report`` end to end through the command line: a model folder on two system sizes (the
training size and a 2 x 1 x 1 replica), and one-line errors for bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from latentcv.cli import main


def _report_args(model: Path, phase_runs: dict[str, Path], doubled_runs: dict[str, Path], out: Path) -> list[str]:
    args = ["report", "--cv", str(model), "--out", str(out), "--stride", "4"]
    for runs in (phase_runs, doubled_runs):
        for phase in ("crystal", "melt"):
            args += ["--traj", f"{runs[phase] / 'trajectory.dcd'}:{phase}", "--top", str(runs[phase] / "topology.pdb")]
    return args


@pytest.fixture(scope="module")
def report(clustered_model, phase_runs, doubled_runs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    assert main(_report_args(clustered_model, phase_runs, doubled_runs, out)) == 0
    return out


def test_report_files_and_separation_at_two_sizes(report: Path) -> None:
    for name in ("report.md", "report.json", "values.csv", "hist_288.png", "hist_576.png", "report_config.json"):
        assert (report / name).is_file(), name
    for size in ("288", "576"):  # the model exported on the fly once per system
        assert (report / "cv" / size / "metadata.json").is_file()
    assert not (report / "cv" / "288-2").exists(), "crystal and melt topologies of one system share an export"
    result = json.loads((report / "report.json").read_text())
    assert result["cv_kind"] == "model" and result["components"] == ["progress", "off_axis"]
    assert result["training_molecules"] == 288 and result["q6"]["cutoff_nm"] == {"288": 0.35, "576": 0.35}
    assert result["sizes"]["288"]["training_size"] and not result["sizes"]["576"]["training_size"]
    for size in ("288", "576"):
        quantities = result["sizes"][size]["quantities"]
        assert set(quantities) == {"progress", "off_axis", "Q6"}
        for name in ("progress", "Q6"):
            q = quantities[name]
            assert q["threshold"]["accuracy"] == 1.0 and q["overlap"] == 0.0 and q["fisher"] > 4, (size, name, q)
            assert q["crystal_frames"] == q["melt_frames"] == 4
            assert q["threshold"]["crystal_above"] and q["crystal_mean"] > q["melt_mean"]
    markdown = (report / "report.md").read_text()
    assert "## 288 molecules (the training size)" in markdown
    assert "## 576 molecules (another size than training's 288)" in markdown
    assert markdown.count("Best CV component: `") == 2
    assert "| Q6 (baseline) |" in markdown and "![histograms of 576 molecules](hist_576.png)" in markdown
    config = json.loads((report / "report_config.json").read_text())
    assert config["stride"] == 4 and len(config["trajectories"]) == len(config["topologies"]) == 4


def test_values_table_and_size_transfer(report: Path) -> None:
    """One row per frame; the replica (576) gives the original's progress and Q6 frame by frame."""
    rows = list(csv.DictReader((report / "values.csv").open()))
    assert len(rows) == 16 and list(rows[0]) == ["frame", "trajectory", "label", "molecules", "progress",
                                                 "off_axis", "q6"]
    by_size = {size: [r for r in rows if r["molecules"] == size] for size in ("288", "576")}
    for column, tolerance in (("progress", 1e-3), ("q6", 1e-5)):  # float32 CV, float32 coordinates
        small = np.array([float(r[column]) for r in by_size["288"]])
        large = np.array([float(r[column]) for r in by_size["576"]])
        assert np.allclose(small, large, atol=tolerance), (column, np.abs(small - large).max())
    assert [r["frame"] for r in by_size["288"][:3]] == ["0", "4", "8"]


def test_exported_folder_of_another_size_is_one_line_error(report, phase_runs, doubled_runs, tmp_path, capsys) -> None:
    argv = ["report", "--cv", str(report / "cv" / "288"), "--out", str(tmp_path / "r"),
            "--traj", f"{doubled_runs['crystal'] / 'trajectory.dcd'}:crystal",
            "--traj", f"{doubled_runs['melt'] / 'trajectory.dcd'}:melt",
            "--top", str(doubled_runs["crystal"] / "topology.pdb")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exported for 1152 particles, this system has 2304" in err[0], err


@pytest.mark.parametrize("case", ["unlabelled", "tops", "phase", "cv"])
def test_bad_input(case, phase_runs, tmp_path, capsys) -> None:
    crystal, melt = phase_runs["crystal"], phase_runs["melt"]
    trajs = ["--traj", f"{crystal / 'trajectory.dcd'}:crystal", "--traj", f"{melt / 'trajectory.dcd'}:melt"]
    cv, top = ["--cv", str(tmp_path)], ["--top", str(crystal / "topology.pdb")]
    argv, expected = {
        "unlabelled": (["--traj", str(crystal / "trajectory.dcd"), *trajs[2:], *top], "has label None"),
        "tops": ([*trajs, *top, *top, *top], "once per --traj (2), not 3 times"),
        "phase": (["--traj", f"{crystal / 'trajectory.dcd'}:crystal", *top], "no melt trajectory"),
        "cv": ([*trajs, *top], "neither an exported CV folder"),
    }[case]
    assert main(["report", *cv, "--out", str(tmp_path / "out"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("latentcv report: error:") and expected in err[0], err
