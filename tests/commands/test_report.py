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
                                                 "off_axis", "q6", "temperature_K", "crystalline_molecules"]
    assert {r["temperature_K"] for r in rows} == {"250", "300", ""}  # the replicas have no config.json
    assert {r["crystalline_molecules"] for r in rows} == {""}
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


def _coexistence_copy(run: Path, folder: Path, crystalline: int | None) -> Path:
    """A copy of a run folder with a labels file: ``crystalline`` molecules crystal (all when None)."""
    from latentcv.data.molecule_labels import labels_path, write_molecule_labels

    folder.mkdir(parents=True)
    for name in ("trajectory.dcd", "topology.pdb", "config.json"):
        (folder / name).write_bytes((run / name).read_bytes())
    n = 288 if crystalline is None else crystalline
    write_molecule_labels(labels_path(folder / "trajectory.dcd"), ["crystal"] * n + ["melt"] * (288 - n))
    return folder


def test_partial_order_section_on_tiny_systems(crystallinity_run, phase_runs, slab_run, tmp_path) -> None:
    """``--slab`` and ``--nucleus`` add the partial-order section. Slabs: the real quarter-crystal
    slab, and the bulk runs as the fractions 0 and 1; nuclei: the bulk melt as the melt and the
    slab as a 'nucleus' of its 72 crystalline molecules. Checked: the fractions and sizes come from
    the labels files, the temperatures from the runs' config.json, the linearity scores are those of
    the per-slab means, the detection's excess is the counts' difference, and the targets, the
    figure and the values table are written."""
    run, _ = crystallinity_run
    melt0 = _coexistence_copy(phase_runs["melt"], tmp_path / "melt0", 0)
    crystal1 = _coexistence_copy(phase_runs["crystal"], tmp_path / "crystal1", None)
    out = tmp_path / "report"
    args = ["report", "--cv", str(run), "--out", str(out), "--heads", "progress,crystal_count", "--stride", "2"]
    for phase in ("crystal", "melt"):
        args += ["--traj", f"{phase_runs[phase] / 'trajectory.dcd'}:{phase}"]  # topology.pdb found beside it
    args += ["--slab", str(melt0), "--slab", str(slab_run), "--slab", str(crystal1),
             "--nucleus", str(melt0), "--nucleus", str(slab_run)]
    assert main(args) == 0
    result = json.loads((out / "report.json").read_text())["partial_order"]
    slabs = result["slabs"]
    assert slabs["fractions"] == [0.0, 0.25, 1.0] and slabs["temperatures"] == [300.0, 250.0, 250.0]
    assert result["quantities"] == ["progress", "crystal_count", "Q6", "solid-like"]
    for quantity in result["quantities"]:
        fit, means = slabs["linearity"][quantity], np.array(slabs["means"][quantity])
        slope, intercept = np.polyfit(slabs["fractions"], means, 1)
        assert fit["slope"] == pytest.approx(slope) and fit["intercept"] == pytest.approx(intercept)
        assert fit["at_0"] == pytest.approx(means[0]) and fit["at_1"] == pytest.approx(means[2])
        assert -1.0 <= fit["spearman"] <= 1.0 and fit["r2"] <= 1.0
    assert slabs["linearity"]["progress"]["spearman"] == 1.0, "the model reads melt < slab < crystal"
    bulk = {(row["label"], row["temperature"]): row for row in result["bulk"]}
    assert set(bulk) == {("crystal", 250.0), ("melt", 300.0)}
    assert bulk[("crystal", 250.0)]["values"]["Q6"]["mean"] == pytest.approx(1.0)  # the Q6 scale's own ends
    assert bulk[("melt", 300.0)]["values"]["Q6"]["mean"] == pytest.approx(0.0, abs=1e-9)
    detection = result["nuclei"]["detection"]
    assert set(detection) == {"crystal_count", "solid-like"} and result["nuclei"]["molecules"] == 288
    for count in detection.values():
        assert count["sizes"] == [72] and count["melt_std"] >= 0.0
    rows = list(csv.DictReader((out / "values.csv").open()))
    slab_rows = [r for r in rows if r["label"] == "slab" and r["trajectory"] == str(slab_run / "trajectory.dcd")]
    nucleus_rows = [r for r in rows if r["label"] == "nucleus" and r["trajectory"] == str(slab_run / "trajectory.dcd")]
    assert slab_rows and len(slab_rows) == len(nucleus_rows) and slab_rows[0]["crystalline_molecules"] == "72"
    excess = np.mean([float(r["crystal_count"]) for r in nucleus_rows]) - detection["crystal_count"]["melt_mean"]
    assert detection["crystal_count"]["excess"][0] == pytest.approx(excess, rel=1e-6)
    targets = {t["target"]: t for t in result["targets"]}
    assert any(name.startswith("slabs: progress R²") for name in targets)
    assert any(name.startswith("crystal_count/N ≥ 0.95: crystal, 288 molecules, 250 K") for name in targets)
    assert any(name.startswith("nuclei: a 50-molecule nucleus") for name in targets)
    markdown = (out / "report.md").read_text()
    assert "## Partial order" in markdown and "### Targets" in markdown and (out / "partial_order.png").is_file()


def test_partial_order_needs_three_fractions_and_a_melt(crystallinity_run, phase_runs, slab_run, tmp_path,
                                                         capsys) -> None:
    run, _ = crystallinity_run
    base = ["report", "--cv", str(run), "--heads", "progress,crystal_count",
            "--traj", f"{phase_runs['crystal'] / 'trajectory.dcd'}:crystal",
            "--traj", f"{phase_runs['melt'] / 'trajectory.dcd'}:melt"]
    assert main([*base, "--out", str(tmp_path / "a"), "--slab", str(slab_run)]) == 2
    assert "at least three slabs" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "b"), "--nucleus", str(slab_run)]) == 2
    assert "need a melt" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "c"), "--slab", str(phase_runs["melt"])]) == 2
    assert "is not a coexistence run" in capsys.readouterr().err
