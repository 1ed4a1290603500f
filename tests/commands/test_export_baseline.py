"""`latentcv export --baseline q6`: the Steinhardt CV folder for the session's ice box, in real
OpenMM (Reference, CPU) and a real `plumed driver`, where its PYTORCH_MODEL is checked against
PLUMED's own Q6/LOCAL_AVERAGE actions on the same frames in the same input.

Tolerances: OpenMM with a float64 export against float64 PyTorch, 1e-9 relative; PLUMED's
PYTORCH_MODEL runs in float32 (its interface): 1e-4 relative to max(1, |value|) for values and of
the largest force for forces.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mdtraj as md
import numpy as np
import pytest
import torch

from latentcv.commands.export_baseline import export_baseline, site_atoms
from latentcv.cv.steinhardt import SteinhardtCV
from latentcv.engines.openmm.cv_force import torch_force
from latentcv.engines.openmm.forces import evaluate_forces
from latentcv.engines.plumed.driver import read_colvar, read_dumped_forces, run_driver, write_dcd
from latentcv.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def baseline(phase_runs, tmp_path_factory) -> tuple[Path, dict, md.Trajectory]:
    folder = export_baseline(phase_runs["crystal"] / "topology.pdb", tmp_path_factory.mktemp("q6") / "cv",
                             [str(phase_runs["crystal"])], [str(phase_runs["melt"])], dtype="float64",
                             temperature=270.0)
    frames = md.load(str(phase_runs["melt"] / "trajectory.dcd"), top=str(phase_runs["melt"] / "topology.pdb"))
    return folder, json.loads((folder / "metadata.json").read_text()), frames


def _reference(meta: dict, positions: np.ndarray, box: np.ndarray, component: int) -> tuple[float, np.ndarray]:
    cv = SteinhardtCV(meta["switch_on_nm"], meta["cutoff_nm"], meta["solid_like_threshold"]).double()
    x = torch.tensor(positions, requires_grad=True)
    value = cv(x[meta["atoms"]], torch.tensor(box))[component]
    (g,) = torch.autograd.grad(value, x)
    return float(value.detach()), -g.numpy()


def test_folder_and_threshold(baseline) -> None:
    folder, meta, frames = baseline
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "openmm_cv0.pt", "openmm_cv1.pt",
                                                       "plumed.dat", "plumed_cv.ptc", "plumed_opes.dat"]
    assert [c["name"] for c in meta["components"]] == ["solid_like", "q6"]
    assert meta["atoms"] == site_atoms(frames.topology) == frames.topology.select("name O").tolist()
    assert meta["n_particles"] == frames.n_atoms and meta["molecules"] == 288
    solid = meta["components"][0]["per_label_mean"]
    assert solid["crystal"] > 0.8 * 288 and solid["melt"] < 0.2 * 288  # the fitted threshold separates the runs
    sep = meta["separation"]
    assert sep["crystal_molecules_above"] > 0.9 and sep["melt_molecules_below"] > 0.9


@pytest.mark.parametrize("platform", ["Reference", "CPU"])
def test_openmm_equals_pytorch(baseline, platform: str) -> None:
    folder, meta, frames = baseline
    positions, box = frames.xyz[-1].astype(np.float64), frames.unitcell_vectors[-1].astype(np.float64)
    for component in (0, 1):
        energy, forces = evaluate_forces([torch_force(folder, component)], positions, box, platform=platform)
        value, expected = _reference(meta, positions, box, component)
        assert energy == pytest.approx(value, rel=1e-9)
        np.testing.assert_allclose(forces, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


def test_plumed_model_equals_plumeds_own_q6(plumed, baseline, tmp_path) -> None:
    folder, meta, frames = baseline
    stored = write_dcd(tmp_path / "traj.dcd", frames.xyz[::5].astype(np.float64),
                       frames.unitcell_vectors[::5].astype(np.float64))
    dat = (folder / "plumed.dat").read_text().replace("FILE=plumed_cv.ptc", f"FILE={folder / 'plumed_cv.ptc'}")
    lines = [line for line in dat.splitlines() if "METAD" not in line and not line.startswith("PRINT")]
    species = ",".join(str(a + 1) for a in meta["atoms"])
    switch = f"SWITCH={{{meta['switch']}}}"
    rational = meta["solid_like_switch"].replace("MORE_THAN ", "")
    lines += [f"q6: Q6 SPECIES={species} {switch} VMEAN",
              f"la: LOCAL_AVERAGE SPECIES=q6 {switch} MORE_THAN={{{rational}}}",
              "bias: BIASVALUE ARG=cv.node-0",
              "PRINT ARG=cv.node-0,cv.node-1,la.morethan,q6.vmean FILE=COLVAR FMT=%.10e"]
    (tmp_path / "plumed.dat").write_text("\n".join(lines) + "\n")
    run_driver(plumed, "plumed.dat", "traj.dcd", tmp_path, dump_forces="forces.xyz")
    colvar = read_colvar(tmp_path / "COLVAR")
    forces = read_dumped_forces(tmp_path / "forces.xyz")
    np.testing.assert_allclose(colvar["cv.node-0"], colvar["la_morethan"], rtol=1e-4)
    np.testing.assert_allclose(colvar["cv.node-1"], colvar["q6_vmean"], rtol=1e-4)
    for f in range(stored.n_frames):
        value, expected = _reference(meta, stored.xyz[f].astype(np.float64),
                                     stored.unitcell_vectors[f].astype(np.float64), 0)
        assert colvar["cv.node-0"][f] == pytest.approx(value, rel=1e-4)
        np.testing.assert_allclose(forces[f], expected, atol=1e-4 * np.abs(expected).max())


def test_bad_input_is_one_line(phase_runs, tmp_path) -> None:
    with pytest.raises(InputError, match="--crystal RUN"):
        export_baseline(phase_runs["crystal"] / "topology.pdb", tmp_path / "a", [str(phase_runs["crystal"])], [])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    top = str(phase_runs["crystal"] / "topology.pdb")
    for args in (["--baseline", "q6", "--model", "somewhere"],
                 ["--baseline", "q6", "--crystal", str(phase_runs["crystal"]), "--melt", str(tmp_path / "none")]):
        run = subprocess.run([sys.executable, "-m", "latentcv.cli", "export", "--top", top, "--out",
                              str(tmp_path / "cv"), *args], capture_output=True, text=True, env=env, timeout=600)
        assert run.returncode != 0 and "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
