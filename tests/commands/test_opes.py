"""OPES and OPES-explore (`latentcv metad --method`, through openmm-opes) on an exported (untrained)
CV of 288 TIP4P/Ice molecules in real OpenMM: kernels and outputs, the bias the force applies, exact
resume, walkers and the settings OPES needs.

Bounds: OPES's bias is at least −ΔE by construction (V = (1 − 1/γ) kT log(P/Z + ε), ε =
exp(−βΔE/(1 − 1/γ)); OPES-explore γ times that), its floor where nothing was deposited, so the
force, which stores V + ΔE, is at least 0; it interpolates its grid with OpenMM's cubic splines,
which may overshoot between nodes by a small fraction of the grid's range (allowed: 1e-3 ΔE).
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from latentcv.commands.metad import run_metad
from latentcv.errors import InputError

BARRIER = 20.0


def _colvar(path) -> dict[str, np.ndarray]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(row[key]) for row in rows]) for key in rows[0]}


@pytest.mark.parametrize("method", ["opes", "opes-explore"])
def test_kernels_bias_and_outputs(ice_run, tmp_path, method: str) -> None:
    files = run_metad(ice_run.config(tmp_path / "run", 32, pace=4, checkpoint_interval=8, method=method,
                                     barrier=BARRIER), progress=False)
    for path in (files.colvar, files.fes_png, files.cv_time_png, files.bias, files.fes, files.grid, files.checkpoint):
        assert path.is_file() and path.stat().st_size > 0, path
    bias, fes = np.load(files.bias), np.load(files.fes)
    assert bias.shape == fes.shape == np.load(files.grid)["progress"].shape
    assert (bias >= -BARRIER - 1e-9).all()
    assert bias.max() > -BARRIER + 1e-6, "kernels every 4 steps: the bias rises above its floor somewhere"
    assert np.isfinite(fes).any()
    colvar = _colvar(files.colvar)
    applied = colvar["bias_kJ_mol"]
    assert applied[0] == pytest.approx(0.0, abs=1e-9 * BARRIER) and applied[-1] > 0.0
    assert (applied >= -1e-3 * BARRIER).all()


def test_resume_continues_exactly(ice_run, tmp_path) -> None:
    """Reference platform: 16 steps in one go against 8 and a resume to 16, kernels in both halves."""
    settings = {"platform": "Reference", "pace": 2, "method": "opes", "barrier": BARRIER}
    whole = run_metad(ice_run.config(tmp_path / "whole", 16, **settings), progress=False)
    run_metad(ice_run.config(tmp_path / "part", 8, **settings), progress=False)
    part = run_metad(ice_run.config(tmp_path / "part", 16, **settings), resume=True, progress=False)
    assert whole.colvar.read_text() == part.colvar.read_text()
    np.testing.assert_array_equal(np.load(whole.bias), np.load(part.bias))


def test_walkers_share_their_kernels(ice_run, tmp_path) -> None:
    walkers = tmp_path / "walkers"
    settings = {"method": "opes", "barrier": BARRIER, "pace": 4, "walkers_dir": str(walkers)}
    run_metad(ice_run.config(tmp_path / "w0", 8, walker_id=0, **settings), progress=False)
    alone = run_metad(ice_run.config(tmp_path / "alone", 4, seed=2, method="opes", barrier=BARRIER, pace=4),
                      progress=False)
    second = run_metad(ice_run.config(tmp_path / "w1", 4, walker_id=1, seed=2, **settings), progress=False)
    assert sorted({p.name.split("_")[1] for p in walkers.glob("kde_*.npz")}) == ["0", "1"]
    assert not np.allclose(np.load(second.bias), np.load(alone.bias)), "walker 1's bias includes walker 0's kernels"
    with pytest.raises(InputError, match="walker 0 already has a bias"):
        run_metad(ice_run.config(tmp_path / "w0-again", 4, walker_id=0, **settings), progress=False)


@pytest.mark.parametrize("changes, message", [
    ({"method": "opes"}, "needs --barrier"),
    ({"method": "metad", "barrier": 10.0}, "--barrier is OPES's"),
    ({"method": "opes-sum", "barrier": 10.0}, "--method must be one of"),
])
def test_settings(ice_run, tmp_path, changes, message) -> None:
    with pytest.raises(InputError, match=message):
        run_metad(ice_run.config(tmp_path / "bad", 4, **changes), progress=False)
