"""Exported CV files against PyTorch: real OpenMM contexts and a real `plumed driver`.

The CV is a real (untrained) hierarchical encoder with the progress head on a synthetic molecular
lattice, and the same with the per-molecule crystallinity readout and its heads (progress = mean
p_i, crystal_count = Σ p_i); training does not change what these tests check (the export path and
the physics rules).
Tolerances: OpenMM Reference/CPU with a float64 export, 1e-9 relative; PLUMED (float32 by its
interface) 1e-4 relative to the largest force; finite differences 1e-5 relative (float64).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import openmm
import pytest
import torch

from latentcv.cv.heads import CombinedHeads, CrystalFraction, CrystallinityCount, LatentProgress
from latentcv.cv.latent_cv import LatentCV
from latentcv.cv.stats import ComponentStats
from latentcv.data.features import bond_lengths
from latentcv.engines.export import PAIR_SKIN, export_cv
from latentcv.engines.exported import load
from latentcv.engines.openmm.cv_force import bias_variable, torch_force
from latentcv.engines.openmm.forces import evaluate_forces
from latentcv.engines.plumed.driver import read_colvar, read_dumped_forces, run_driver, write_dcd
from latentcv.errors import InputError
from tests.nn.synthetic import lattice, make_encoder

N_EXTRA = 2  # particles of the System the CV does not read (e.g. virtual sites, ions)


def _cv(system) -> LatentCV:
    enc = make_encoder(system)
    enc.fix_pooling(system.positions[None], system.box[None])
    torch.manual_seed(3)
    melt, crystal = torch.randn(4), torch.randn(4)
    return LatentCV(enc, LatentProgress(melt, crystal)).double().eval()


def _all_particles(system) -> tuple[np.ndarray, list[int]]:
    """Positions of a System whose first N_EXTRA particles are not read by the CV."""
    extra = np.array([[0.05, 0.05, 0.05], [0.4, 0.2, 0.1]])
    return np.concatenate([extra, system.positions.numpy()]), list(range(N_EXTRA, N_EXTRA + system.positions.shape[0]))


STATS = [ComponentStats("progress", "0 melt, 1 crystal", 0.5, 0.3, -0.1, 1.1, {"melt": 0.0, "crystal": 1.0},
                        {"melt": 0.05, "crystal": 0.04}),
         ComponentStats("off_axis", "distance from the melt-crystal axis", 0.2, 0.1, 0.0, 0.6)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    system = lattice(3, seed=11, jitter=0.03)
    cv = _cv(system)
    positions, atoms = _all_particles(system)
    folder = export_cv(cv, atoms, len(positions), tmp_path_factory.mktemp("cv"), STATS, 270.0, dtype=torch.float64)
    return system, cv, positions, atoms, folder


@pytest.fixture(scope="module")
def exported_crystallinity(tmp_path_factory):
    """The crystallinity CV: progress (mean p_i), off_axis, crystal_count (Σ p_i)."""
    system = lattice(3, seed=11, jitter=0.03)
    enc = make_encoder(system, crystallinity=True)
    enc.fix_pooling(system.positions[None], system.box[None])
    torch.manual_seed(3)
    heads = CombinedHeads([CrystalFraction(torch.randn(4), torch.randn(4)), CrystallinityCount()])
    cv = LatentCV(enc, heads).double().eval()
    positions, atoms = _all_particles(system)
    stats = STATS + [ComponentStats("crystal_count", "crystal-like molecules", 10.0, 3.0, 0.0, 27.0)]
    folder = export_cv(cv, atoms, len(positions), tmp_path_factory.mktemp("cv"), stats, 270.0, dtype=torch.float64)
    return system, cv, positions, atoms, folder


@pytest.fixture(params=["latent", "crystallinity"])
def exported_any(request):
    """Each exported CV in turn: the latent progress CV and the crystallinity CV."""
    return request.getfixturevalue("exported" if request.param == "latent" else "exported_crystallinity")


def _reference(cv: LatentCV, system, positions: np.ndarray, component: int) -> tuple[float, np.ndarray]:
    x = torch.tensor(positions[N_EXTRA:], requires_grad=True)
    value = cv(x, system.box)[component]
    (g,) = torch.autograd.grad(value, x)
    forces = np.zeros_like(positions)
    forces[N_EXTRA:] = -g.numpy()
    return float(value.detach()), forces


def test_folder_layout_and_metadata(exported) -> None:
    _, _, positions, atoms, folder = exported
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["metadata.json", "openmm_cv0.pt", "openmm_cv1.pt", "plumed.dat", "plumed_cv.ptc",
                     "plumed_opes.dat"]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["atoms"] == atoms and meta["n_particles"] == len(positions)
    assert [c["name"] for c in meta["components"]] == ["progress", "off_axis"]
    assert len(meta["weights_sha256"]) == 64
    assert meta["pair_skin_nm"] == PAIR_SKIN
    assert "fixed_bonds" not in meta and load(folder).fixed_bonds == []
    assert meta["components"][0]["sigma"] == pytest.approx(0.02)  # half the tighter basin's std
    for name in ("openmm_cv0.pt", "plumed_cv.ptc"):
        module = torch.jit.load(str(folder / name))
        assert not any(p.requires_grad for p in module.parameters()), f"{name}: engines need position gradients only"


@pytest.mark.parametrize("platform", ["Reference", "CPU"])
@pytest.mark.parametrize("inside_cv_force", [False, True])
def test_openmm_energy_and_forces_equal_pytorch(exported_any, platform: str, inside_cv_force: bool) -> None:
    system, cv, positions, _, folder = exported_any
    for component in range(len(cv.names)):
        force = torch_force(folder, component)
        if inside_cv_force:
            wrapper = openmm.CustomCVForce("cv")
            wrapper.addCollectiveVariable("cv", force)
            force = wrapper
        energy, forces = evaluate_forces([force], positions, system.box.numpy(), platform=platform)
        ref_value, ref_forces = _reference(cv, system, positions, component)
        assert energy == pytest.approx(ref_value, rel=1e-9, abs=1e-12), component
        np.testing.assert_allclose(forces, ref_forces, rtol=1e-9, atol=1e-9 * np.abs(ref_forces).max())
        np.testing.assert_array_equal(forces[:N_EXTRA], 0.0)


def test_the_pair_list_kept_between_calls_changes_no_value(tmp_path) -> None:
    """Exported with the default Verlet skin and with none, the modules give the same values and
    gradients, bit for bit, along a random walk of the atoms; the kept list saves searches."""
    system = lattice(6, seed=13, jitter=0.03)  # a box wide enough for cutoff + skin
    cv = _cv(system)
    positions, atoms = _all_particles(system)
    modules = [torch.jit.load(str(export_cv(cv, atoms, len(positions), tmp_path / name, STATS, 270.0,
                                            dtype=torch.float64, **options) / "openmm_cv0.pt"))
               for name, options in (("kept", {}), ("searched", {"pair_skin": 0.0}))]
    rng = np.random.default_rng(0)
    x = torch.tensor(positions)
    steps = 20
    for _ in range(steps):
        x = x + torch.as_tensor(rng.normal(0.0, 0.002, x.shape))
        results = []
        for module in modules:
            xg = x.clone().requires_grad_(True)
            value = module(xg, system.box)
            results.append((value.detach(), torch.autograd.grad(value, xg)[0]))
        assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])
    assert modules[0].cv.encoder.pairs.searches == 1  # molecules moved ~0.005 nm, half the skin is 0.05
    assert modules[1].cv.encoder.pairs.searches == steps


def test_fixed_bonds_are_recorded_and_give_the_full_cvs_value(exported, tmp_path) -> None:
    """An export with fixed bonds (``latentcv export --constrained-bonds``): metadata.json lists the
    bonds to constrain as System particles, plumed.dat says so, and the OpenMM file (Reference) gives
    the full CV's value on the rigid structure (1e-10 relative) and the fixed CV's forces (1e-9)."""
    system, cv, positions, atoms, _ = exported
    fixed = copy.deepcopy(cv)
    fixed.encoder.fix_bonds(bond_lengths(system.positions, system.box, system.bonds.t()))
    folder = export_cv(fixed, atoms, len(positions), tmp_path / "cv", STATS, 270.0, dtype=torch.float64)
    bonds = load(folder).fixed_bonds
    assert [(i, j) for i, j, _ in bonds] == [(atoms[i], atoms[j]) for i, j in system.bonds.t().tolist()]
    assert [length for *_, length in bonds] == pytest.approx([0.09572] * len(bonds), abs=1e-5)
    assert "--constrained-bonds" in (folder / "plumed.dat").read_text()
    energy, forces = evaluate_forces([torch_force(folder, 0)], positions, system.box.numpy(), platform="Reference")
    assert energy == pytest.approx(_reference(cv, system, positions, 0)[0], rel=1e-10)
    ref_forces = _reference(fixed, system, positions, 0)[1]
    np.testing.assert_allclose(forces, ref_forces, rtol=1e-9, atol=1e-9 * np.abs(ref_forces).max())


def test_export_refuses_a_learnt_seed_count(tmp_path) -> None:
    system = lattice(3, seed=12)
    cv = LatentCV(make_encoder(system), LatentProgress(torch.zeros(4), torch.ones(4)))
    with pytest.raises(ValueError, match="fix_pooling"):
        export_cv(cv, list(range(system.positions.shape[0])), system.positions.shape[0], tmp_path, STATS, 270.0)


def test_loading_into_another_particle_count_fails_clearly(exported) -> None:
    system, _, positions, _, folder = exported
    with pytest.raises(openmm.OpenMMException, match="exported for .* particles, the System has"):
        evaluate_forces([torch_force(folder)], positions[1:], system.box.numpy(), platform="Reference")
    with pytest.raises(InputError, match="export it again with this topology"):
        load(folder).check_particles(len(positions) + 3)


def test_bias_variable_from_metadata(exported) -> None:
    *_, folder = exported
    bv = bias_variable(folder, 0)
    assert bv.biasWidth == pytest.approx(0.02)
    assert bv.minValue < -0.1 and bv.maxValue > 1.1
    assert bv.gridWidth >= 50


def test_plumed_driver_equals_pytorch(plumed, exported_any, tmp_path) -> None:
    """The generated plumed.dat's PYTORCH_MODEL on a real DCD: values of every component and the
    forces of component 0 for every frame."""
    system, cv, _, atoms, folder = exported_any
    frames = [lattice(3, seed=s, jitter=0.03).positions.numpy() for s in (21, 22, 23)]
    frames = np.stack([np.concatenate([np.zeros((N_EXTRA, 3)), f]) for f in frames])
    boxes = np.repeat(system.box.numpy()[None], len(frames), axis=0)
    stored = write_dcd(tmp_path / "traj.dcd", frames, boxes)
    dat = (folder / "plumed.dat").read_text().replace("FILE=plumed_cv.ptc", f"FILE={folder / 'plumed_cv.ptc'}")
    lines = [line for line in dat.splitlines() if "METAD" not in line and not line.startswith("PRINT")]
    nodes = ",".join(f"cv.node-{k}" for k in range(len(cv.names)))
    lines += ["bias: BIASVALUE ARG=cv.node-0", f"PRINT ARG={nodes} FILE=COLVAR FMT=%.10e"]
    (tmp_path / "plumed.dat").write_text("\n".join(lines) + "\n")
    run_driver(plumed, "plumed.dat", "traj.dcd", tmp_path, dump_forces="forces.xyz")
    colvar = read_colvar(tmp_path / "COLVAR")
    forces = read_dumped_forces(tmp_path / "forces.xyz")
    for f in range(len(frames)):
        x = torch.tensor(stored.xyz[f, N_EXTRA:].astype(np.float64), requires_grad=True)
        values = cv(x, torch.tensor(stored.unitcell_vectors[f].astype(np.float64)))
        (g,) = torch.autograd.grad(values[0], x)
        for k in range(len(cv.names)):
            assert colvar[f"cv.node-{k}"][f] == pytest.approx(values[k].item(), rel=1e-4, abs=1e-5)
        np.testing.assert_allclose(forces[f, N_EXTRA:], -g.numpy(), atol=1e-4 * g.abs().max().item())


@pytest.mark.parametrize("name, bias, deposits", [("plumed.dat", "metad", "HILLS"),
                                                   ("plumed_opes.dat", "opes", "KERNELS")])
def test_the_generated_inputs_run_in_plumed(plumed, exported, tmp_path, name: str, bias: str, deposits: str) -> None:
    """plumed.dat (METAD) and plumed_opes.dat (OPES_METAD, PLUMED's opes module) as written run in
    `plumed driver` and deposit hills or kernels."""
    system, _, positions, _, folder = exported
    frames = np.stack([positions + 0.002 * k for k in range(3)])
    write_dcd(tmp_path / "traj.dcd", frames, np.repeat(system.box.numpy()[None], 3, axis=0))
    dat = (folder / name).read_text()
    dat = (dat.replace("FILE=plumed_cv.ptc", f"FILE={folder / 'plumed_cv.ptc'}").replace("PACE=500", "PACE=1")
           .replace("STRIDE=100", "STRIDE=1"))
    (tmp_path / "plumed.dat").write_text(dat)
    run_driver(plumed, "plumed.dat", "traj.dcd", tmp_path)
    rows = np.atleast_2d(np.loadtxt(tmp_path / deposits, comments="#"))
    assert rows.shape[0] >= 2, f"PACE=1 over 3 frames should deposit {deposits.lower()}"
    values = read_colvar(tmp_path / "COLVAR")[f"{bias}.bias"]
    assert np.isfinite(values).all() and values[-1] != values[0], "the bias should change once deposits begin"
    if bias == "metad":
        assert values[0] == 0.0 and values[-1] > 0.0, "hills only raise the bias"
