"""PLUMED's PYTORCH_MODEL through a real `plumed driver` on DCD files, against PyTorch autograd.

The model runs in float32 inside PLUMED; the reference is float64 autograd on the coordinates as
stored in the DCD. Tolerances: values 1e-5 relative to max(1, |value|); forces 1e-4 relative to
the largest force component of the frame (float32 rounding of a sum of cosines, ~1e-6 seen).
"""

from __future__ import annotations

import numpy as np
import pytest

from latentcv.engines.plumed.adapter import PlumedCV
from latentcv.engines.plumed.driver import read_colvar, run_pytorch_model
from latentcv.engines.plumed.input import pytorch_model_lines
from latentcv.engines.plumed.kernel import find_plumed
from latentcv.engines.probe import probe_reference
from latentcv.engines.probe import LatticeProbe
from latentcv.errors import EngineError


def _frames(seed: int, n_frames: int, n_atoms: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    boxes, positions = [], []
    for f in range(n_frames):
        # a reduced triclinic box (OpenMM's form: |bx|, |cx| <= a/2, |cy| <= by/2)
        a = rng.uniform(1.8, 2.4)
        b = np.array([rng.uniform(-a / 2, a / 2), rng.uniform(1.8, 2.4), 0.0])
        c = np.array([rng.uniform(-a / 2, a / 2), rng.uniform(-b[1] / 2, b[1] / 2), rng.uniform(1.8, 2.4)])
        box = np.array([[a, 0, 0], b, c]) if f % 2 else np.diag([a, b[1], c[2]])
        boxes.append(box)
        # some atoms outside the primary cell: PLUMED wraps them, the CV must not care
        positions.append(rng.uniform(-0.5, 1.5, (n_atoms, 3)) @ box)
    return np.array(positions), np.array(boxes)


def test_driver_reproduces_pytorch_values_and_forces(plumed, tmp_path) -> None:
    positions, boxes = _frames(seed=11, n_frames=6, n_atoms=9)
    run = run_pytorch_model(plumed, PlumedCV(LatticeProbe(k=1.3)), positions, boxes, tmp_path)
    assert run.values.shape == (6, 1) and run.forces.shape == (6, 9, 3)
    np.testing.assert_allclose(run.boxes, boxes, atol=1e-5)
    for f in range(6):
        ref_e, ref_f = probe_reference(run.positions[f], run.boxes[f])
        ref_e, ref_f = 1.3 * ref_e, 1.3 * ref_f
        assert run.values[f, 0] == pytest.approx(ref_e, abs=1e-5 * max(1.0, abs(ref_e)))
        np.testing.assert_allclose(run.forces[f], ref_f, atol=1e-4 * np.abs(ref_f).max())


def test_two_outputs_are_named_node_0_and_node_1(plumed, tmp_path) -> None:
    """A two-component model: PLUMED names its outputs label.node-0 and label.node-1."""
    import torch

    class TwoProbes(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = LatticeProbe(k=1.0)
            self.b = LatticeProbe(k=-2.0)

        def forward(self, positions: torch.Tensor, boxvectors: torch.Tensor) -> torch.Tensor:
            return torch.stack([self.a(positions, boxvectors), self.b(positions, boxvectors)])

    positions, boxes = _frames(seed=5, n_frames=2, n_atoms=4)
    run = run_pytorch_model(plumed, PlumedCV(TwoProbes(), n_outputs=2), positions, boxes, tmp_path)
    colvar = read_colvar(tmp_path / "COLVAR")
    assert {"cv.node-0", "cv.node-1"} <= set(colvar)
    np.testing.assert_allclose(run.values[:, 1], -2.0 * run.values[:, 0], rtol=1e-5)


def test_plumed_adapter_answers_the_output_count_probe() -> None:
    """PLUMED calls a model on zeros(1, n_in) at load time to count its outputs."""
    import torch

    model = torch.jit.script(PlumedCV(LatticeProbe(), n_outputs=1))
    out = model(torch.zeros(1, 3 * 4 + 9))
    assert out.shape == (1, 1) and out.dtype == torch.float32


def test_input_lines_count_atoms_from_one() -> None:
    lines = pytorch_model_lines([0, 7], "m.ptc", label="z")
    assert "p0: POSITION ATOM=1" in lines and "p1: POSITION ATOM=8" in lines
    model_line = lines[-1]
    assert model_line.startswith("z: PYTORCH_MODEL FILE=m.ptc ARG=p0.x,p0.y,p0.z,p1.x,p1.y,p1.z,cell.ax,")
    assert model_line.endswith("cell.cz")


def test_locator_honours_the_variables(plumed, monkeypatch, tmp_path) -> None:
    prefix = plumed.kernel.parent.parent
    monkeypatch.setenv("LATENTCV_PLUMED", str(prefix))
    assert find_plumed().source == "LATENTCV_PLUMED"
    monkeypatch.setenv("LATENTCV_PLUMED", str(tmp_path))
    with pytest.raises(EngineError, match="holds no lib/libplumedKernel.so"):
        find_plumed()
    monkeypatch.delenv("LATENTCV_PLUMED")
    monkeypatch.setenv("PLUMED_KERNEL", str(plumed.kernel))
    found = find_plumed()
    assert found.source == "PLUMED_KERNEL" and found.executable is not None
    monkeypatch.setenv("PLUMED_KERNEL", str(tmp_path / "nope.so"))
    with pytest.raises(EngineError, match="does not exist"):
        find_plumed()


def test_nothing_found_says_how_to_get_one(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("LATENTCV_PLUMED", raising=False)
    monkeypatch.delenv("PLUMED_KERNEL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(EngineError, match="make plumed"):
        find_plumed()
