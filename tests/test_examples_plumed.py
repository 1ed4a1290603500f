"""The PLUMED inputs of examples/plumed: up to date with the shipped models, and run by a real
`plumed driver` from their own folder (as the README says), giving PyTorch's CV values.

Tolerance: abs 1e-3 (a thirtieth of the ice-water progress's METAD sigma, 0.03) between PLUMED's
COLVAR and PyTorch running the shipped PLUMED model and the shipped float32 OpenMM file on the DCD's
coordinates. Not tighter: these trained models put their crystal and melt centres 0.004 apart in a
latent space whose vectors are about 16 long, so the progress CV magnifies float32 rounding of z
(1e-6) about 250 times; PLUMED's POSITION re-wraps the coordinates, which changes their rounding, and
the results differed by up to 3e-4.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import mdtraj
import numpy as np
import pytest
import torch

from latentcv.engines.exported import load
from latentcv.engines.plumed.driver import read_colvar, run_driver, write_dcd

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "plumed"
sys.path.insert(0, str(EXAMPLES))
import make_inputs  # noqa: E402

MODELS = sorted(make_inputs.TEMPERATURES)


def test_inputs_match_the_shipped_models(tmp_path) -> None:
    make_inputs.main(["--out", str(tmp_path)])
    for model in MODELS:
        for name in ("colvar.dat", "metad.dat"):
            assert (tmp_path / model / name).read_text() == (EXAMPLES / model / name).read_text(), (
                f"examples/plumed/{model}/{name} is stale: run examples/plumed/make_inputs.py")


def _run_in_copy(plumed, model: str, name: str, frames: np.ndarray, boxes: np.ndarray, tmp_path: Path):
    """Run examples/plumed/<model>/<name> from a copy of its folder whose ../../../models is the repo's."""
    folder = tmp_path / "examples" / "plumed" / model
    folder.mkdir(parents=True)
    (tmp_path / "models").symlink_to(ROOT / "models")
    shutil.copy(EXAMPLES / model / name, folder / name)
    stored = write_dcd(folder / "traj.dcd", frames, boxes)
    run_driver(plumed, name, "traj.dcd", folder)
    return stored, folder


@pytest.mark.parametrize("model", MODELS)
def test_colvar_input_equals_pytorch(plumed, model, tmp_path) -> None:
    pdb = mdtraj.load(str(ROOT / "models" / model / "topology.pdb"))
    rng = np.random.default_rng(0)
    frames = np.stack([pdb.xyz[0], pdb.xyz[0] + rng.normal(0, 0.01, pdb.xyz[0].shape)])
    boxes = np.repeat(pdb.unitcell_vectors, 2, axis=0)
    stored, folder = _run_in_copy(plumed, model, "colvar.dat", frames, boxes, tmp_path)
    colvar = read_colvar(folder / "COLVAR")
    cv = load(ROOT / "models" / model / "cv")
    assert len(colvar["time"]) == 2
    plumed_module = cv.plumed_module()
    for f in range(2):
        x = np.concatenate([stored.xyz[f][cv.atoms].reshape(-1), stored.unitcell_vectors[f].reshape(-1)])
        expected = plumed_module(torch.tensor(x, dtype=torch.float32)[None])[0]
        for k in range(cv.n_components):
            openmm_value = cv.openmm_module(k)(torch.tensor(stored.xyz[f]), torch.tensor(stored.unitcell_vectors[f]))
            assert colvar[f"cv.node-{k}"][f] == pytest.approx(expected[k].item(), abs=1e-3)
            assert colvar[f"cv.node-{k}"][f] == pytest.approx(openmm_value.item(), abs=1e-3)
    assert colvar["cv.node-0"][0] > 0.5, "the shipped crystal topology should read as crystal (progress near 1)"


@pytest.mark.parametrize("model", MODELS)
def test_metad_input_runs(plumed, model, tmp_path) -> None:
    pdb = mdtraj.load(str(ROOT / "models" / model / "topology.pdb"))
    stored, folder = _run_in_copy(plumed, model, "metad.dat", pdb.xyz[:1], pdb.unitcell_vectors, tmp_path)
    colvar = read_colvar(folder / "COLVAR")
    assert "metad.bias" in colvar and colvar["metad.bias"][0] == 0.0
    assert (folder / "HILLS").is_file()
