"""Wren-style view averaging (latentcv.nn.views): scripting, exact symmetry, gradients, training and
export; and the molecule stage's loss through HierarchicalEncoder.molecule_nodes.

Tolerances (float64): averaged h, z and nodes equal the plain encoder's to 1e-10 absolute (the
encoder is invariant by construction: only round-off differs, measured ~1e-15); scripted equals
eager to 1e-12; autograd against central differences (h = 1e-6 nm) to 1e-5 relative; OpenMM
Reference against PyTorch to 1e-9 relative (as tests/cv/test_export.py); views=3 against views=1
exports to 1e-9 relative in value and forces (relative to the largest force; measured ~1e-15).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import mdtraj as md
import numpy as np
import pytest
import torch

from latentcv.commands.export import export_run
from latentcv.commands.train import train_model
from latentcv.cv.basins import Basins, load_basins
from latentcv.cv.latent_cv import LatentCV
from latentcv.cv.stats import ComponentStats
from latentcv.data.topology import read_topology
from latentcv.engines.openmm.cv_force import torch_force
from latentcv.engines.openmm.forces import evaluate_forces
from latentcv.errors import InputError
from latentcv.geometry import box_is_reduced, reduce_box
from latentcv.nn.autoencoder import HierarchicalAutoencoder
from latentcv.nn.bundle import load_bundle
from latentcv.nn.encoder import HierarchicalEncoder
from latentcv.nn.inputs import feature_dim
from latentcv.nn.settings import Settings
from latentcv.nn.views import ViewAveragedEncoder
from tests.data.builders import make_trajectory, write_files
from tests.nn.synthetic import Lattice, check_central_differences, lattice, make_encoder

TOPOLOGY_BUFFERS = HierarchicalEncoder.TOPOLOGY_BUFFERS

#: A reduced-form triclinic shear of a cubic box (rows a, b, c as multiples of its edge).
SHEAR = torch.tensor([[1.0, 0.0, 0.0], [0.2, 1.0, 0.0], [-0.1, 0.3, 1.0]], dtype=torch.float64)


def _systems() -> dict[str, Lattice]:
    cubic = lattice(3, seed=1, jitter=0.03)
    sheared = lattice(4, seed=2, jitter=0.03)
    sheared.box = SHEAR * sheared.box[0, 0]  # same points, another periodic system: still a valid input
    return {"cubic": cubic, "triclinic": sheared}


SYSTEMS = _systems()


def test_scripted_equals_eager() -> None:
    system = SYSTEMS["cubic"]
    views = ViewAveragedEncoder(make_encoder(system), 3).eval()
    x, box = system.positions[None], system.box[None]
    eager, scripted = views(x, box), torch.jit.script(views)(x, box)
    torch.testing.assert_close(scripted.z, eager.z, rtol=0, atol=1e-12)
    torch.testing.assert_close(scripted.h, eager.h, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_fixed_views_are_real_symmetries_that_average_to_the_plain_encoder(name: str) -> None:
    """Four views: 1 and 2 turn the lattice (a real rotation), 3 only translates it; every view
    moves the atoms, keeps the box reduced, and the averaged latents equal the plain encoder's."""
    system = SYSTEMS[name]
    enc = make_encoder(system)
    views = ViewAveragedEncoder(enc, 4).eval()
    x, box = system.positions[None], system.box[None]
    moved, boxes = views.fixed_views(x, box)
    assert moved.shape == (4, 1, *system.positions.shape) and torch.equal(moved[0], x)
    assert box_is_reduced(boxes, 1e-12)
    bond = x[0, 1] - x[0, 0]  # a bond of a whole molecule
    for k in (1, 2, 3):
        assert float((moved[k] - x).abs().max()) > 0.1, f"view {k} should move the atoms"
        turned = float((moved[k, 0, 1] - moved[k, 0, 0] - bond).abs().max())
        assert (turned > 0.01) == (k % 3 != 0), f"view {k}: bond vector change {turned}"
    plain, averaged = enc(x, box), views(x, box)
    for field in ("h", "z", "nodes"):
        torch.testing.assert_close(getattr(averaged, field), getattr(plain, field), rtol=0, atol=1e-10, msg=field)
    torch.testing.assert_close(averaged.graph.weight, plain.graph.weight, rtol=0, atol=0)  # view 0's graph
    torch.testing.assert_close(averaged.centres, plain.centres, rtol=0, atol=0)


def test_random_training_views_are_new_each_call_and_exact() -> None:
    system = SYSTEMS["triclinic"]
    enc = make_encoder(system).train()
    views = ViewAveragedEncoder(enc, 3).train()
    x, box = system.positions[None], system.box[None]
    torch.manual_seed(0)
    first, _ = views.random_views(x, box)
    second, _ = views.random_views(x, box)
    assert torch.equal(first[0], x) and float((first[1:] - second[1:]).abs().max()) > 0.1
    torch.testing.assert_close(views(x, box).z, enc(x, box).z, rtol=0, atol=1e-10)


def test_autograd_matches_central_differences() -> None:
    """float64 gradient of z[0] of the 3-view average, h = 1e-6 nm; rel. tol 1e-5."""
    system = SYSTEMS["triclinic"]
    check_central_differences(ViewAveragedEncoder(make_encoder(system), 3).eval(), system, atoms=4)


@pytest.mark.parametrize("pooling", ["seeds", "diffpool"])
def test_molecule_stage_loss_equals_the_full_forward(pooling: str) -> None:
    """The molecule stage runs only stage 1, pooling and lift; its loss and gradients equal those of
    the same terms computed through the whole encoder (the configuration stage's intra and aux)."""
    system = SYSTEMS["cubic"]
    torch.manual_seed(4)
    model = HierarchicalAutoencoder(make_encoder(system, pooling)).double().train()
    batch = (torch.stack([system.positions, lattice(3, seed=9, jitter=0.03).positions]), system.box.expand(2, 3, 3))
    model.set_stage("molecule")
    short = model.loss(batch)
    (short["loss"]).backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    model.stage = "configuration"  # same trainable parameters, the full forward
    full = model.loss(batch)
    (model.weights.intra * full["intra"] + model.weights.aux * full["aux"]).backward()
    for key in ("intra", "aux"):
        torch.testing.assert_close(short[key], full[key], rtol=0, atol=1e-12, msg=key)
    assert grads and set(grads) == {n for n, p in model.named_parameters() if p.grad is not None}
    for n, g in grads.items():
        torch.testing.assert_close(g, model.get_parameter(n).grad, rtol=0, atol=1e-12, msg=n)


def test_configuration_loss_with_views() -> None:
    """views=2: finite loss and gradients in training (random views); in evaluation (fixed views)
    the same terms as views=1 within 1e-10."""
    system = SYSTEMS["cubic"]
    enc = make_encoder(system)
    batch = (system.positions[None], system.box[None])
    model = HierarchicalAutoencoder(enc, views=2).double().train()
    terms = model.loss(batch)
    terms["loss"].backward()
    assert math.isfinite(float(terms["loss"].detach()))
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    plain = HierarchicalAutoencoder(enc).double().eval()
    plain.load_state_dict(model.state_dict())
    model.eval()
    torch.manual_seed(5)  # the adjacency loss draws random pairs
    averaged = model.loss(batch)
    torch.manual_seed(5)
    for key, value in plain.loss(batch).items():
        torch.testing.assert_close(averaged[key], value, rtol=0, atol=1e-10, msg=key)


def test_settings_reject_zero_views() -> None:
    assert Settings.load().stages.views == 1
    with pytest.raises(InputError, match="stages.views must be at least 1"):
        Settings.load(overrides={"stages": {"views": 0}})


TINY = {"model": {"atom_dim": 8, "node_dim": 8, "latent_dim": 2, "heads": 2, "seeds": 2},
        "stages": {"molecule_epochs": 1, "views": 2, "valid_fraction": 0.25},
        "train": {"epochs": 1, "batch_size": 4}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny model trained with stages.views = 2 on builders' water + urea frames, with a
    hand-made heads.json: (run folder, topology file)."""
    folder = tmp_path_factory.mktemp("views")
    paths = write_files(make_trajectory(n_frames=4, seed=1), folder)
    melt = folder / "melt.dcd"
    make_trajectory(n_frames=4, seed=2).save_dcd(str(melt))
    run = folder / "run"
    summary = train_model([f"{paths['dcd']}:crystal", f"{melt}:melt"], paths["pdb"], run,
                          Settings.load(overrides=TINY), verbose=False)
    stats = [ComponentStats("progress", "0 melt, 1 crystal", 0.5, 0.3, -0.1, 1.1),
             ComponentStats("off_axis", "distance from the melt-crystal axis", 0.2, 0.1, 0.0, 0.6)]
    Basins("kmeans", [0.3, -0.2], [-0.1, 0.4], [0.0] * 8, 1.0, 0.1, "crystal", "melt",
           {"progress": [asdict(s) for s in stats]}).save(run)
    return summary, paths["pdb"]


def test_training_with_views_writes_a_plain_model(trained) -> None:
    summary, _ = trained
    assert json.loads((summary.run_dir / "settings.json").read_text())["stages"]["views"] == 2
    for metrics in (summary.run_dir / "molecule" / "metrics.csv", summary.run_dir / "metrics.csv"):
        lines = metrics.read_text().splitlines()
        column = lines[0].split(",").index("train_loss")
        assert len(lines) == 2 and math.isfinite(float(lines[1].split(",")[column]))
    bundle = load_bundle(summary.run_dir)  # the plain encoder's weights: no view buffers, no wrapper prefix
    plain = HierarchicalEncoder(feature_dim(bundle.vocabulary), bundle.config).state_dict()
    assert set(bundle.state) == set(plain) - set(TOPOLOGY_BUFFERS)


def _openmm(folder, positions: np.ndarray, box: np.ndarray) -> tuple[float, np.ndarray]:
    return evaluate_forces([torch_force(folder)], positions, box, platform="Reference")


def test_export_with_views_in_openmm(trained, tmp_path) -> None:
    """views=3 export: OpenMM Reference equals the eager PyTorch CV (value and forces), equals the
    views=1 export, and metadata.json records the views and the run folder."""
    summary, pdb = trained
    run = summary.run_dir
    folders = {v: export_run(run, pdb, tmp_path / f"v{v}", dtype="float64", views=v) for v in (1, 3)}
    for v, folder in folders.items():
        meta = json.loads((folder / "metadata.json").read_text())
        assert meta["views"] == v
        assert (folder / meta["model"]).resolve() == run.resolve()  # the run, relative to the CV folder
    frame = md.load(str(pdb))
    positions = frame.xyz[0].astype(np.float64)
    box = reduce_box(torch.tensor(frame.unitcell_vectors[0], dtype=torch.float64))
    energy, forces = _openmm(folders[3], positions, box.numpy())
    energy_1, forces_1 = _openmm(folders[1], positions, box.numpy())

    bundle = load_bundle(run)
    _, molecular = read_topology(pdb, vocabulary=bundle.vocabulary)
    encoder, inputs = bundle.encoder(molecular)
    cv = LatentCV(ViewAveragedEncoder(encoder, 3), load_basins(run).head("progress")).double().eval()
    atoms = inputs.source_atoms
    x = torch.tensor(positions[atoms.numpy()], requires_grad=True)
    value = cv(x, box)[0]
    (grad,) = torch.autograd.grad(value, x)
    reference = np.zeros_like(positions)
    reference[atoms.numpy()] = -grad.numpy()
    assert energy == pytest.approx(value.item(), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(forces, reference, rtol=1e-9, atol=1e-9 * np.abs(reference).max())
    assert energy == pytest.approx(energy_1, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(forces, forces_1, rtol=0, atol=1e-9 * np.abs(forces_1).max())
    assert np.abs(forces).max() > 0
