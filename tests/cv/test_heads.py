"""CV heads: every head continuous along a path from a crystal to a melt frame; the ``bias_net``
head's PMF files, fit and smoothness, and its whole path `latentcv cluster --pmf` ->
`latentcv export --cv progress,bias_net` -> OpenMM and `plumed driver`.

Tolerances are stated where they are used; the fit is judged against the span of its target.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import mdtraj
import numpy as np
import openmm
import pytest
import torch

from latentcv.cv.bias_fit import bias_target, fit_to_pmf, line_samples
from latentcv.cv.heads import BiasNet
from latentcv.cv.pmf import PMF, read_pmf
from latentcv.cv.stats import ComponentStats
from latentcv.engines.exported import load
from latentcv.engines.openmm.cv_force import torch_force
from latentcv.engines.plumed.driver import read_colvar, run_driver
from latentcv.engines.plumed.input import plumed_input
from latentcv.errors import InputError

BARRIER = 20.0  # kJ/mol


def double_well(s: np.ndarray) -> np.ndarray:
    """F(s) = 16 B s² (1 − s)²: minima 0 at s = 0 and 1, barrier B at s = 1/2 (kJ/mol)."""
    return 16.0 * BARRIER * s**2 * (1.0 - s) ** 2


def write_pmf_csv(path: Path, name: str = "progress") -> Path:
    s = np.linspace(-0.5, 1.5, 81)
    rows = "\n".join(f"{a:.6f},{b:.6f}" for a, b in zip(s, double_well(s)))
    path.write_text(f"# a PMF estimate\n{name},free_energy_kJ_mol\n{rows}\n")
    return path


# ---------------------------------------------------------------------------------------------- files


def test_csv_and_metad_folder_give_the_same_pmf(tmp_path) -> None:
    from_csv = read_pmf(write_pmf_csv(tmp_path / "pmf.csv"))
    folder = tmp_path / "metad"
    folder.mkdir()
    np.save(folder / "fes.npy", from_csv.values)
    np.savez(folder / "grid.npz", progress=from_csv.axes[0])
    from_folder = read_pmf(folder)
    assert from_csv.components == from_folder.components == ["progress"]
    points = np.array([[-3.0], [0.0], [0.25], [0.5], [0.7125], [9.0]])
    np.testing.assert_allclose(from_csv(points), from_folder(points), rtol=0, atol=1e-12)
    grid = from_csv.axes[0]
    # exact on grid points, linear between, the edge value beyond the grid (no force outside)
    assert from_csv(np.array([[grid[40]]]))[0] == pytest.approx(double_well(grid[40]), abs=1e-6)
    middle = 0.5 * (grid[30] + grid[31])
    assert from_csv(np.array([[middle]]))[0] == pytest.approx(0.5 * (double_well(grid[30]) + double_well(grid[31])),
                                                              abs=1e-6)
    assert from_csv(np.array([[-3.0]]))[0] == pytest.approx(double_well(-0.5), abs=1e-6)


def test_two_dimensional_csv_grid(tmp_path) -> None:
    a, b = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 2, 3), indexing="ij")
    rows = "\n".join(f"{x},{y},{x + 10 * y}" for x, y in zip(a.ravel()[::-1], b.ravel()[::-1]))  # any row order
    (tmp_path / "pmf.csv").write_text(f"progress,off_axis,free_energy_kJ_mol\n{rows}\n")
    pmf = read_pmf(tmp_path / "pmf.csv")
    assert pmf.values.shape == (5, 3)
    assert pmf(np.array([[0.3, 0.5]]))[0] == pytest.approx(0.3 + 5.0, abs=1e-9)


@pytest.mark.parametrize("content, message", [
    ("progress,energy\n0,1\n1,2\n", "needs a header"),
    ("progress,free_energy_kJ_mol\n0,1\n", "at least two"),
    ("progress,off_axis,free_energy_kJ_mol\n0,0,1\n1,0,2\n1,1,3\n", "not a full regular grid"),
    ("progress,free_energy_kJ_mol\n0,1\n1,nan\n", "non-finite"),
])
def test_bad_pmf_files_are_refused(tmp_path, content, message) -> None:
    (tmp_path / "pmf.csv").write_text(content)
    with pytest.raises(InputError, match=message):
        read_pmf(tmp_path / "pmf.csv")
    with pytest.raises(InputError, match="not found"):
        read_pmf(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="fes.npy"):
        read_pmf(tmp_path)


# ------------------------------------------------------------------------------------------------ fit


def _latent_basins(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A latent space like the shipped models': |z| ≈ 16, basins 0.004 apart, spread 0.0005."""
    rng = np.random.default_rng(seed)
    melt = 16.0 + 3.0 * rng.normal(size=8)
    crystal = melt + 0.0015 * rng.normal(size=8)
    z_crystal = crystal + 0.0005 * rng.normal(size=(200, 8))
    z_melt = melt + 0.0005 * rng.normal(size=(200, 8))
    return melt, crystal, np.concatenate([z_crystal, z_melt])


def _progress(melt: np.ndarray, crystal: np.ndarray):
    axis = crystal - melt
    return lambda z: (((z - melt) @ axis) / (axis @ axis))[:, None]


def test_fit_reproduces_minus_the_pmf_away_from_its_samples() -> None:
    """Held-out RMSE under 1 % of the target's span; on fresh points of the crystal-melt line
    (not used in the fit) under 2 %; basins near 0 and the barrier near −B."""
    melt, crystal, z = _latent_basins()
    progress = _progress(melt, crystal)
    pmf = PMF(["progress"], [np.linspace(-0.5, 1.5, 81)], double_well(np.linspace(-0.5, 1.5, 81)), "test")
    fit = fit_to_pmf(pmf, z, progress, z[:200], z[200:], fraction=1.0, seed=1)
    assert fit.coverage > 0.95 and fit.samples == 5 * len(z)
    assert fit.rmse_valid < 0.01 * fit.target_span, (fit.rmse_valid, fit.target_span)
    fresh = line_samples(z[:200], z[200:], 500, seed=99)
    expected, _ = bias_target(pmf, progress(fresh), 1.0)
    with torch.no_grad():
        predicted = fit.net.energies(torch.tensor(fresh, dtype=torch.float32)).numpy()
    assert np.sqrt(np.mean((predicted - expected) ** 2)) < 0.02 * fit.target_span
    with torch.no_grad():
        at = {name: fit.net(torch.tensor(c, dtype=torch.float32), torch.zeros(0)).item()
              for name, c in (("melt", melt), ("crystal", crystal), ("barrier", 0.5 * (melt + crystal)))}
    assert abs(at["melt"]) < 0.05 * BARRIER and abs(at["crystal"]) < 0.05 * BARRIER
    assert at["barrier"] == pytest.approx(-BARRIER, abs=0.05 * BARRIER)


def test_fraction_scales_the_target_and_coverage_is_checked() -> None:
    grid = np.linspace(-0.5, 1.5, 81)
    pmf = PMF(["progress"], [grid], double_well(grid), "test")
    s = np.array([[0.5], [1.0]])
    half, _ = bias_target(pmf, s, 0.5)
    np.testing.assert_allclose(half, [-0.5 * BARRIER, 0.0], atol=1e-9)
    for fraction in (0.0, 1.5):
        with pytest.raises(InputError, match="fraction"):
            bias_target(pmf, s, fraction)
    with pytest.raises(InputError, match="covers only 0%"):
        bias_target(pmf, s + 10.0, 1.0)


def test_bias_net_is_smooth_scriptable_and_round_trips() -> None:
    """float64 autograd against central differences (h = 1e-6 latent units, 1e-6 relative); the
    scripted head equals the eager one; to_dict/from_dict gives the same function."""
    torch.manual_seed(0)
    net = BiasNet(8, 16, torch.randn(8), torch.rand(8) + 0.5, 7.0, -3.0)
    copy = BiasNet.from_dict(json.loads(json.dumps(net.to_dict())))
    z, h = torch.randn(8, dtype=torch.float64), torch.zeros(0, dtype=torch.float64)
    assert copy(z.float(), h.float()).item() == net(z.float(), h.float()).item()
    assert torch.jit.script(net)(z.float(), h.float()).item() == net(z.float(), h.float()).item()
    net = net.double()
    z.requires_grad_(True)
    (grad,) = torch.autograd.grad(net(z, h).sum(), z)
    step = 1e-6
    numeric = torch.stack([(net(z.detach() + step * e, h) - net(z.detach() - step * e, h)).sum() / (2 * step)
                           for e in torch.eye(8, dtype=torch.float64)])
    torch.testing.assert_close(grad, numeric, rtol=1e-6, atol=1e-9)


def test_plumed_input_applies_energies_with_biasvalue() -> None:
    stats = [ComponentStats("bias_energy", "bias", -5.0, 3.0, -20.0, 0.0),
             ComponentStats("progress", "0 melt, 1 crystal", 0.5, 0.4, -0.1, 1.1, {}, {"melt": 0.05})]
    text = plumed_input([0, 1, 2], stats, 300.0)
    assert "static: BIASVALUE ARG=cv.node-0" in text
    assert "metad: METAD ARG=cv.node-1 SIGMA=0.025" in text
    assert "PRINT ARG=cv.node-0,cv.node-1,static.bias,metad.bias" in text
    assert "BIASVALUE" not in plumed_input([0, 1, 2], stats, 300.0, metad=False)


# ------------------------------------------------------------------------------------- whole pipeline


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "latentcv.cli", *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def bias_export(trained_run, tmp_path_factory) -> tuple[dict[str, Path], Path, Path]:
    """A copy of the trained run, clustered with a double-well PMF on progress and exported."""
    runs, summary = trained_run
    run = tmp_path_factory.mktemp("bias") / "run"
    run.mkdir()
    shutil.copy(summary.run_dir / "model.pt", run / "model.pt")
    pmf = write_pmf_csv(run.parent / "pmf.csv")
    top = str(runs["crystal"] / "topology.pdb")
    trajs = sum((["--traj", f"{runs[p] / 'trajectory.dcd'}:{p}"] for p in ("crystal", "melt")), [])
    done = _cli("cluster", "--model", str(run), *trajs, "--top", top, "--out", str(run.parent / "report"),
                "--pmf", str(pmf), "--pmf-traj", str(runs["melt"] / "trajectory.dcd"))
    assert done.returncode == 0, done.stderr
    assert "bias_net fitted" in done.stdout
    cv_dir = run.parent / "cv"
    done = _cli("export", "--model", str(run), "--top", top, "--out", str(cv_dir), "--cv", "progress,bias_net",
                "--dtype", "float64")
    assert done.returncode == 0, done.stderr
    return runs, run, cv_dir


def test_cluster_fits_bias_net_to_the_pmf(bias_export) -> None:
    """heads.json holds the network and its fit: held-out RMSE under 5 % of the target span; the
    labelled basins, at the PMF's minima, get a bias within 0.15 B of zero."""
    _, run, _ = bias_export
    heads = json.loads((run / "heads.json").read_text())
    fit = heads["bias_net"]["pmf"]
    assert fit["components"] == ["progress"] and fit["fraction"] == 1.0 and fit["coverage"] > 0.5
    assert fit["rmse_held_out_kJ_mol"] < 0.05 * fit["target_span_kJ_mol"], fit
    energy = heads["stats"]["bias_net"][0]
    assert energy["name"] == "bias_energy"
    for phase in ("crystal", "melt"):
        assert abs(energy["per_label_mean"][phase]) < 0.15 * BARRIER, energy


def test_exported_bias_energy_in_openmm_and_plumed(plumed, bias_export, tmp_path) -> None:
    """The bias_energy file as an OpenMM TorchForce (Reference) equals PyTorch (1e-9 relative) and
    −F(progress) of the same frame within 0.1 B; PLUMED's BIASVALUE of plumed.dat applies the same
    energy (float32: 1e-3 B)."""
    runs, _, cv_dir = bias_export
    cv = load(cv_dir)
    assert cv.names == ["progress", "off_axis", "bias_energy"]
    traj = mdtraj.load(str(runs["melt"] / "trajectory.dcd"), top=str(runs["melt"] / "topology.pdb"))[::5]
    x, box = torch.tensor(traj.xyz[0], dtype=torch.float64), torch.tensor(traj.unitcell_vectors[0], dtype=torch.float64)
    energy = cv.openmm_module(2)(x, box).item()
    progress = cv.openmm_module(0)(x, box).item()
    assert energy == pytest.approx(-double_well(np.clip(progress, -0.5, 1.5)), abs=0.1 * BARRIER)

    system = openmm.System()
    for _ in range(cv.n_particles):
        system.addParticle(1.0)
    system.setDefaultPeriodicBoxVectors(*[openmm.Vec3(*row) for row in traj.unitcell_vectors[0].astype(float)])
    system.addForce(torch_force(cv_dir, 2))
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(traj.xyz[0].astype(float))
    state = context.getState(getEnergy=True)
    assert state.getPotentialEnergy().value_in_unit(openmm.unit.kilojoule_per_mole) == pytest.approx(energy, rel=1e-9)

    shutil.copy(runs["melt"] / "trajectory.dcd", tmp_path / "traj.dcd")
    dat = (cv_dir / "plumed.dat").read_text().replace("FILE=plumed_cv.ptc", f"FILE={cv_dir / 'plumed_cv.ptc'}")
    assert "static: BIASVALUE ARG=cv.node-2" in dat and "METAD ARG=cv.node-0" in dat
    (tmp_path / "plumed.dat").write_text(dat.replace("STRIDE=100", "STRIDE=5"))
    run_driver(plumed, "plumed.dat", "traj.dcd", tmp_path)
    colvar = read_colvar(tmp_path / "COLVAR")
    assert colvar["static.bias"][0] == pytest.approx(energy, abs=1e-3 * BARRIER)
    np.testing.assert_allclose(colvar["static.bias"], colvar["cv.node-2"], rtol=0, atol=1e-9)


def test_cluster_refuses_a_pmf_on_another_cv(trained_run, bias_export, tmp_path) -> None:
    runs, run, _ = bias_export
    pmf = write_pmf_csv(tmp_path / "count.csv", name="crystal_count")
    top = str(runs["crystal"] / "topology.pdb")
    done = _cli("cluster", "--model", str(run), "--traj", f"{runs['crystal'] / 'trajectory.dcd'}:crystal",
                "--traj", f"{runs['melt'] / 'trajectory.dcd'}:melt", "--top", top, "--out", str(tmp_path / "r"),
                "--pmf", str(pmf))
    assert done.returncode == 2
    assert "bias_net is a function of z" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_metad_refuses_to_bias_an_energy(bias_export, tmp_path) -> None:
    from latentcv.commands.metad import run_metad
    from latentcv.commands.metad_config import MetadConfig

    runs, _, cv_dir = bias_export
    config = MetadConfig(str(runs["crystal"] / "system.xml"), str(runs["crystal"] / "topology.pdb"), str(cv_dir),
                         str(tmp_path / "metad"), 250.0, 0.001, components=(2,))
    with pytest.raises(InputError, match="is a bias energy"):
        run_metad(config, progress=False)


#: Halvings of the interval with the largest change (4,096 times finer than the 101-point grid).
ZOOMS = 12


def _path(a: np.ndarray, box_a: np.ndarray, b: np.ndarray, box_b: np.ndarray, t: np.ndarray):
    """Positions and boxes from frame a (t = 0) to frame b (t = 1): fractional coordinates move by
    their minimum-image difference while the box vectors interpolate linearly (continuous in t)."""
    frac_a, frac_b = a @ np.linalg.inv(box_a), b @ np.linalg.inv(box_b)
    step = frac_b - frac_a
    step -= np.round(step)
    for s in t:
        box = (1 - s) * box_a + s * box_b
        yield (frac_a + s * step) @ box, box


def test_every_head_is_continuous_from_crystal_to_melt(bias_export) -> None:
    """All heads (progress, off_axis, distance, crystal_count, bias_energy) on a path between an ice and
    a water frame: zooming in on the largest change between neighbouring points of 101 (ZOOMS times
    halving the interval, following the half that changes more), the change shrinks more than
    100-fold, as for a continuous function (a jump would keep its size), and the path really goes
    from the crystal to the melt side of progress.

    Zooming rather than comparing 101 with 201 points: the path's middle is unphysical (atoms of
    both frames interpolated, bonds shortened), where a trained head can be steep over less than a
    hundredth of the path (bias_energy once changed 1.18 times less on the finer grid). Measured:
    3,400-4,060-fold for the five heads (4,096 for a straight line)."""
    from latentcv.cv.basins import load_basins
    from latentcv.cv.heads import CombinedHeads
    from latentcv.cv.latent_cv import LatentCV
    from latentcv.data.topology import read_topology
    from latentcv.nn.bundle import load_bundle

    runs, run, _ = bias_export
    bundle, basins = load_bundle(run), load_basins(run)
    _, molecular = read_topology(runs["crystal"] / "topology.pdb", vocabulary=bundle.vocabulary)
    encoder, inputs = bundle.encoder(molecular)
    cv = LatentCV(encoder, CombinedHeads([basins.head(n) for n in ("progress", "distance", "crystal_count",
                                                                     "bias_net")])).double().eval()
    ends = [mdtraj.load(str(runs[p] / "trajectory.dcd"), top=str(runs[p] / "topology.pdb"))[-1]
            for p in ("crystal", "melt")]
    atoms = inputs.atoms.numpy()
    a, b = (f.xyz[0][atoms].astype(float) for f in ends)
    box_a, box_b = (f.unitcell_vectors[0].astype(float) for f in ends)

    def heads(t: float) -> np.ndarray:
        (x, box), = _path(a, box_a, b, box_b, np.array([t]))
        with torch.no_grad():
            return cv(torch.tensor(x), torch.tensor(box)).numpy()

    t = np.linspace(0, 1, 101)
    values = np.stack([heads(s) for s in t])
    assert values[0, 0] > 0.5 > values[-1, 0], "progress from crystal (> 0.5) to melt (< 0.5)"
    steps = np.abs(np.diff(values, axis=0))
    for k, name in enumerate(cv.names):
        i = int(steps[:, k].argmax())
        (lo, v_lo), (hi, v_hi) = (t[i], values[i, k]), (t[i + 1], values[i + 1, k])
        for _ in range(ZOOMS):
            mid = 0.5 * (lo + hi)
            v_mid = heads(mid)[k]
            if abs(v_mid - v_lo) >= abs(v_hi - v_mid):
                hi, v_hi = mid, v_mid
            else:
                lo, v_lo = mid, v_mid
        assert abs(v_hi - v_lo) < steps[i, k] / 100, (name, steps[i, k], abs(v_hi - v_lo))
