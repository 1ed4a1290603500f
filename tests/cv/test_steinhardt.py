"""The Steinhardt baseline CV (`latentcv.cv.steinhardt`) as PyTorch, against its definition and
against PLUMED's own Q6, LOCAL_AVERAGE and MORE_THAN in a real `plumed driver`, on real ice and
water frames (the session's short MD).

Tolerances: identities of the harmonics and invariances hold to float64 round-off (1e-10);
PLUMED reads the same float32 coordinates and rebuilds the box from the DCD's lengths and angles in
single precision, so values agree to 1e-5 relative; finite differences (float64, central, h = 1e-6
nm) to 1e-6 of the largest force.
"""

from __future__ import annotations

import math

import mdtraj as md
import numpy as np
import pytest
import torch
from scipy.special import sph_harm_y

from latentcv.cv.steinhardt import SteinhardtCV, harmonic_coefficients
from latentcv.engines.plumed.driver import read_colvar, run_driver, write_dcd
from latentcv.geometry import rotate_to_reduced

D_0, D_MAX, THRESHOLD = 0.30, 0.37, 0.36


def _cv() -> SteinhardtCV:
    return SteinhardtCV(D_0, D_MAX, THRESHOLD).double()


def _oxygens(run) -> tuple[np.ndarray, np.ndarray]:
    """Oxygen positions ``[F, 288, 3]`` and boxes ``[F, 3, 3]`` (nm, float64) of a phase run."""
    t = md.load(str(run / "trajectory.dcd"), top=str(run / "topology.pdb"))
    oxygens = t.topology.select("name O")
    return t.xyz[:, oxygens].astype(np.float64), t.unitcell_vectors.astype(np.float64)


def _frame(run, f: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    x, b = _oxygens(run)
    return rotate_to_reduced(torch.tensor(x[f]), torch.tensor(b[f]))


def test_real_harmonics_are_the_complex_ones() -> None:
    """Per m, (√2 Re)² + (√2 Im)² of the real harmonics equals |Y_lm|² + |Y_l,−m|² of scipy's."""
    rng = np.random.default_rng(0)
    u = rng.normal(size=(50, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    real = _cv().harmonics(torch.tensor(u) * 0.3).numpy()
    theta, phi = np.arccos(u[:, 2]), np.arctan2(u[:, 1], u[:, 0])
    np.testing.assert_allclose(real[:, 0] ** 2, np.abs(sph_harm_y(6, 0, theta, phi)) ** 2, rtol=1e-10, atol=1e-12)
    for m in range(1, 7):
        pair = real[:, 2 * m - 1] ** 2 + real[:, 2 * m] ** 2
        complex_ = np.abs(sph_harm_y(6, m, theta, phi)) ** 2 + np.abs(sph_harm_y(6, -m, theta, phi)) ** 2
        np.testing.assert_allclose(pair, complex_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose((real**2).sum(1), 13 / (4 * math.pi), rtol=1e-10)
    assert harmonic_coefficients(6).shape == (7, 7)


def test_invariances(phase_runs) -> None:
    cv = _cv()
    x, box = _frame(phase_runs["crystal"])
    ref = cv(x, box)
    assert 0 < ref[0] <= x.shape[0] and 0 < ref[1] < 1
    rng = np.random.default_rng(1)
    perm = torch.tensor(rng.permutation(x.shape[0]))
    np.testing.assert_allclose(cv(x[perm], box), ref, rtol=1e-10)  # permutation
    shifted = x + torch.tensor([0.37, -1.2, 0.5], dtype=torch.float64)
    np.testing.assert_allclose(cv(shifted, box), ref, rtol=1e-10)  # translation
    images = x.clone()
    images[::7] += box[0] - 2 * box[2]
    np.testing.assert_allclose(cv(images, box), ref, rtol=1e-10)  # periodic images
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    rotation = torch.tensor(q * np.sign(np.linalg.det(q)))
    turned = rotate_to_reduced(x @ rotation.T, box @ rotation.T)
    np.testing.assert_allclose(cv(*turned), ref, rtol=1e-10)  # rotation, back to OpenMM's reduced form


def test_rotating_a_cluster_changes_nothing() -> None:
    """A cluster alone in a big box, turned about its centre: the harmonics' sums are invariant."""
    rng = np.random.default_rng(2)
    cluster = rng.normal(scale=0.25, size=(30, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.linalg.det(q))
    box = torch.eye(3, dtype=torch.float64) * 6.0
    cv = _cv()
    a = cv.per_molecule(torch.tensor(cluster + 3.0), box)
    b = cv.per_molecule(torch.tensor(cluster @ q.T + 3.0), box)
    np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_size_transferable(phase_runs) -> None:
    """The box tiled 2 x 1 x 2: twice the solid-like count, the same global Q6."""
    cv = _cv()
    x, box = _frame(phase_runs["crystal"])
    tiled = torch.cat([x + i * box[0] + k * box[2] for i in (0, 1) for k in (0, 1)])
    big = torch.stack([2 * box[0], box[1], 2 * box[2]])
    small, large = cv(x, box), cv(tiled, big)
    assert large[0].item() == pytest.approx(4 * small[0].item(), rel=1e-10)
    assert large[1].item() == pytest.approx(small[1].item(), rel=1e-10)


def test_smooth_and_forces_are_finite_differences(phase_runs) -> None:
    """Central differences of both components on a melt frame (pairs cross the switch there)."""
    cv = _cv()
    x, box = _frame(phase_runs["melt"])
    x = x.clone().requires_grad_(True)
    values = cv(x, box)
    rng = np.random.default_rng(3)
    h = 1e-6
    for k in range(2):
        (g,) = torch.autograd.grad(values[k], x, retain_graph=True)
        for a, d in zip(rng.integers(0, x.shape[0], 6), rng.integers(0, 3, 6)):
            step = torch.zeros_like(x)
            step[a, d] = h
            with torch.no_grad():
                fd = (cv(x + step, box)[k] - cv(x - step, box)[k]) / (2 * h)
            assert fd.item() == pytest.approx(g[a, d].item(), abs=1e-6 * g.abs().max().item())


def test_plumed_symfunc_is_the_reference(plumed, phase_runs, tmp_path) -> None:
    """PLUMED's Q6 (per atom and VMEAN), LOCAL_AVERAGE and MORE_THAN on the same frames and switch."""
    frames, boxes = [], []
    for phase in ("crystal", "melt"):
        x, b = _oxygens(phase_runs[phase])
        frames += [x[0], x[-1]]
        boxes += [b[0], b[-1]]
    stored = write_dcd(tmp_path / "o.dcd", np.array(frames), np.array(boxes))
    n = stored.n_atoms
    switch = f"SWITCH={{CUBIC D_0={D_0} D_MAX={D_MAX}}}"
    (tmp_path / "plumed.dat").write_text("\n".join([
        f"q6: Q6 SPECIES=1-{n} {switch} VMEAN",
        f"la: LOCAL_AVERAGE SPECIES=q6 {switch} MORE_THAN={{RATIONAL R_0={THRESHOLD} NN=12 MM=24}}",
        "PRINT ARG=q6.vmean,la.morethan FILE=COLVAR FMT=%.12e",
        "PRINT ARG=q6 FILE=Q6 FMT=%.12e",
        "PRINT ARG=la FILE=LA FMT=%.12e",
    ]) + "\n")
    run_driver(plumed, "plumed.dat", "o.dcd", tmp_path)
    colvar, per_q6, per_la = (read_colvar(tmp_path / name) for name in ("COLVAR", "Q6", "LA"))
    cv = _cv()
    for f in range(len(frames)):
        x, box = rotate_to_reduced(torch.tensor(stored.xyz[f].astype(np.float64)),
                                   torch.tensor(stored.unitcell_vectors[f].astype(np.float64)))
        mine = cv.per_molecule(x, box).numpy()
        np.testing.assert_allclose(mine[:, 0], [per_q6[k][f] for k in list(per_q6)[1:]], rtol=1e-5)
        np.testing.assert_allclose(mine[:, 1], [per_la[k][f] for k in list(per_la)[1:]], rtol=1e-5)
        solid_like, q6 = cv(x, box).tolist()
        assert solid_like == pytest.approx(colvar["la_morethan"][f], rel=1e-5)
        assert q6 == pytest.approx(colvar["q6_vmean"][f], rel=1e-5)
