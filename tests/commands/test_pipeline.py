"""train -> cluster -> export -> evaluate on real ice and water, and the exported file's physics.

The exported OpenMM file of a trained CV must give the same values for every representation of the
same periodic system (rotation with a change of box basis, translation, permutation of molecules,
re-wrapping across the boundary) and the progress CV must put held-out ice near 1 and water near 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mdtraj
import numpy as np
import openmm
import pytest
import torch

from latentcv.data.augment import permute_molecules, random_molecule_images, random_rotation, random_translation
from latentcv.data.topology import read_topology
from latentcv.engines.exported import load


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "latentcv.cli", *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def exported(trained_run, tmp_path_factory) -> tuple[dict[str, Path], Path, Path]:
    runs, summary = trained_run
    report = tmp_path_factory.mktemp("cluster")
    trajs = sum((["--traj", f"{runs[p] / 'trajectory.dcd'}:{p}"] for p in ("crystal", "melt")), [])
    top = str(runs["crystal"] / "topology.pdb")
    done = _cli("cluster", "--model", str(summary.run_dir), *trajs, "--top", top, "--out", str(report))
    assert done.returncode == 0, done.stderr
    cv_dir = tmp_path_factory.mktemp("cv") / "ice"
    done = _cli("export", "--model", str(summary.run_dir), "--top", top, "--out", str(cv_dir),
                "--cv", "progress,crystal_count", "--dtype", "float64", "--temperature", "270")
    assert done.returncode == 0, done.stderr
    return runs, report, cv_dir


def test_cluster_writes_heads_and_report(trained_run, exported) -> None:
    _, summary = trained_run
    _, report, _ = exported
    heads = json.loads((summary.run_dir / "heads.json").read_text())
    progress = heads["stats"]["progress"][0]
    assert progress["per_label_mean"]["crystal"] > 0.8 and abs(progress["per_label_mean"]["melt"]) < 0.2
    for name in ("results.json", "predictions.npy", "comparison.csv", "comparison.tex", "latent.png", "cv_hist.png"):
        assert (report / name).is_file(), name
    results = json.loads((report / "results.json").read_text())
    assert {row["method"] for row in results["methods"]} >= {"nmc", "kmeans-auto", "kmeans-k2"}


def test_exported_cv_classifies_frames_through_evaluate(exported, tmp_path) -> None:
    runs, _, cv_dir = exported
    for phase, expect_high in (("crystal", True), ("melt", False)):
        out = tmp_path / f"{phase}.csv"
        done = _cli("evaluate", "--cv", str(cv_dir), "--traj", str(runs[phase] / "trajectory.dcd"), "--top",
                    str(runs[phase] / "topology.pdb"), "--out", str(out), "--stride", "4")
        assert done.returncode == 0, done.stderr
        progress = np.loadtxt(out, delimiter=",", skiprows=1)[:, 1]
        assert (progress > 0.5).all() if expect_high else (progress < 0.5).all(), progress


def test_exported_cv_is_invariant_to_every_representation(exported) -> None:
    """float64 export; tolerance 1e-8 relative (round-off of the rotations and image shifts)."""
    runs, _, cv_dir = exported
    cv = load(cv_dir)
    module = cv.openmm_module(0)
    frame = mdtraj.load(str(runs["melt"] / "topology.pdb"))
    _, molecular = read_topology(runs["melt"] / "topology.pdb")
    x = torch.tensor(frame.xyz[0], dtype=torch.float64)
    box = torch.tensor(frame.unitcell_vectors[0], dtype=torch.float64)
    ref = module(x, box).item()
    gen = torch.Generator().manual_seed(4)
    rotated, rbox = random_rotation(x, box, gen)
    assert not torch.allclose(rotated, x, atol=1e-3), "the rotation should turn the system against the axes"
    permuted, _ = permute_molecules(x, molecular, gen)
    variants = {
        "rotation": (rotated, rbox),
        "translation": (random_translation(x, box, gen), box),
        "molecule permutation": (permuted, box),
        "re-wrapping molecules": (random_molecule_images(x, box, molecular.molecule_index, 2, gen), box),
    }
    for name, (pos, b) in variants.items():
        assert module(pos, b).item() == pytest.approx(ref, rel=1e-8, abs=1e-10), name


def test_export_for_another_system_size(trained_run, exported, tmp_path) -> None:
    """The same run exported for a 576-molecule ice box: particle count follows the topology."""
    from latentcv.systems.ice import build_ice

    _, summary = trained_run
    big = build_ice(576, seed=2)
    big.write_pdb(tmp_path / "big.pdb")
    done = _cli("export", "--model", str(summary.run_dir), "--top", str(tmp_path / "big.pdb"), "--out",
                str(tmp_path / "cv"))
    assert done.returncode == 0, done.stderr
    cv = load(tmp_path / "cv")
    assert cv.n_particles == 4 * big.n_molecules and len(cv.atoms) == 3 * big.n_molecules
    frame = mdtraj.load(str(tmp_path / "big.pdb"))
    value = cv.openmm_module(0)(torch.tensor(frame.xyz[0]), torch.tensor(frame.unitcell_vectors[0])).item()
    assert value > 0.5, "a perfect ice lattice of another size is on the crystal side"


def test_export_without_cluster_says_what_to_do(trained_run, tmp_path) -> None:
    runs, summary = trained_run
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "model.pt").write_bytes((summary.run_dir / "model.pt").read_bytes())
    done = _cli("export", "--model", str(bare), "--top", str(runs["crystal"] / "topology.pdb"), "--out",
                str(tmp_path / "cv"))
    assert done.returncode == 2
    assert "run `latentcv cluster" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_export_refuses_a_negative_pair_skin(trained_run, tmp_path) -> None:
    runs, summary = trained_run
    done = _cli("export", "--model", str(summary.run_dir), "--top", str(runs["crystal"] / "topology.pdb"), "--out",
                str(tmp_path / "cv"), "--pair-skin", "-0.1")
    assert done.returncode == 2
    assert "--pair-skin must be 0 or more" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "cv").exists()


def test_export_with_constrained_bonds(trained_run, exported, tmp_path) -> None:
    """``--constrained-bonds`` on rigid TIP4P/Ice: every O-H bond is listed for the MD to constrain, at
    the System's constraint length, and on an MD frame the CV's values equal the full export's within
    1e-6 absolute or relative (measured 5e-8 for progress, 5e-8 relative for crystal_count: the
    frame's float32 coordinates hold the bonds to round-off). A System without the constraints is
    refused in one line; without the System XML the lengths come from the PDB's coordinates, and a
    structure with a stretched bond is refused in one line."""
    runs, _, cv_dir = exported
    _, summary = trained_run
    top = runs["crystal"] / "topology.pdb"
    args = ["export", "--model", str(summary.run_dir), "--cv", "progress,crystal_count", "--dtype", "float64",
            "--constrained-bonds"]
    done = _cli(*args, "--top", str(top), "--system-xml", str(runs["crystal"] / "system.xml"),
                "--out", str(tmp_path / "cv"))
    assert done.returncode == 0, done.stderr
    fixed, full = load(tmp_path / "cv"), load(cv_dir)
    assert len(fixed.fixed_bonds) == 2 * len(fixed.atoms) // 3
    assert {length for *_, length in fixed.fixed_bonds} == {0.09572}
    frame = mdtraj.load(str(runs["melt"] / "trajectory.dcd"), top=str(runs["melt"] / "topology.pdb"))[-1]
    x = torch.tensor(frame.xyz[0], dtype=torch.float64)
    box = torch.tensor(frame.unitcell_vectors[0], dtype=torch.float64)
    for k in range(fixed.n_components):
        a, b = fixed.openmm_module(k)(x, box).item(), full.openmm_module(k)(x, box).item()
        assert a == pytest.approx(b, rel=1e-6, abs=1e-6), k

    flexible = openmm.XmlSerializer.deserialize((runs["crystal"] / "system.xml").read_text())
    while flexible.getNumConstraints():
        flexible.removeConstraint(0)
    (tmp_path / "flexible.xml").write_text(openmm.XmlSerializer.serialize(flexible))
    done = _cli(*args, "--top", str(top), "--system-xml", str(tmp_path / "flexible.xml"),
                "--out", str(tmp_path / "cv1"))
    assert done.returncode == 2
    assert "does not constrain the bond of particles 0 and 1" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

    stretched = mdtraj.load(str(top))
    stretched.xyz[0, 1] += np.array([0.02, 0.0, 0.0], dtype=np.float32)  # the first hydrogen
    stretched.save_pdb(str(tmp_path / "stretched.pdb"))
    done = _cli(*args, "--out", str(tmp_path / "cv2"), "--top", str(tmp_path / "stretched.pdb"))
    assert done.returncode == 2
    assert "the bonds are not constrained" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "cv2").exists()
