"""Stage 1 computed once for molecules whose bonds are constrained (``HierarchicalEncoder.fix_bonds``).

On rigid molecules (the synthetic lattice: exact water geometry, float64) the encoder with fixed
bonds gives the full encoder's latents (relative 1e-12) and the same net force and torque on every
molecule (1e-10 of the largest): the gradient it drops lies along the bonds, which constraints
cancel. Off those bond lengths it is another function, and ``fix_bonds`` refuses such a structure.
"""

from __future__ import annotations

import copy

import pytest
import torch

from latentcv.data.features import bond_lengths
from latentcv.nn.encoder import HierarchicalEncoder
from latentcv.nn.fixed_bonds import bond_classes, canonical_atoms, class_means, local_ranks
from tests.nn.synthetic import Lattice, check_central_differences, lattice, make_encoder


def _encoders(pooling: str = "seeds") -> tuple[Lattice, HierarchicalEncoder, HierarchicalEncoder]:
    system = lattice(3, seed=5, jitter=0.03)
    full = make_encoder(system, pooling)
    full.fix_pooling(system.positions[None], system.box[None])
    fixed = copy.deepcopy(full)
    fixed.fix_bonds(bond_lengths(system.positions, system.box, system.bonds.t()))
    return system, full, fixed


def _molecule_gradients(encoder: HierarchicalEncoder, system: Lattice) -> torch.Tensor:
    """Gradient of the first latent with respect to the positions, per molecule ``[M, 3 atoms, 3]``."""
    x = system.positions.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(encoder(x[None], system.box[None]).z[0, 0], x)
    return grad.reshape(-1, 3, 3)


@pytest.mark.parametrize("pooling", ["seeds", "mean", "diffpool"])
def test_latents_equal_the_full_encoders_on_rigid_molecules(pooling: str) -> None:
    system, full, fixed = _encoders(pooling)
    with torch.no_grad():
        a, b = full(system.positions[None], system.box[None]), fixed(system.positions[None], system.box[None])
    torch.testing.assert_close(b.z, a.z, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(b.h, a.h, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(b.bond_length, a.bond_length, rtol=1e-12, atol=0.0)
    torch.testing.assert_close(b.atoms0, a.atoms0, rtol=0.0, atol=0.0)


def test_batches_of_frames_stack_the_stored_rows() -> None:
    """Two frames at once (the second translated, so that molecules wrap differently) give what the
    full encoder gives for the same batch: the stored rows are repeated per frame (relative 1e-12)."""
    system, full, fixed = _encoders("mean")
    frames = torch.stack([system.positions, system.positions + torch.tensor([0.31, -0.17, 0.05], dtype=torch.float64)])
    boxes = torch.stack([system.box, system.box])
    with torch.no_grad():
        a, b = full(frames, boxes), fixed(frames, boxes)
    assert b.z.shape[0] == 2 and b.h.shape[0] == 2 * system.species.shape[0]
    torch.testing.assert_close(b.z, a.z, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(b.h, a.h, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(b.bond_length, a.bond_length, rtol=1e-12, atol=0.0)
    torch.testing.assert_close(b.atoms0, a.atoms0, rtol=0.0, atol=0.0)


def test_net_force_and_torque_on_each_molecule_equal_the_full_encoders() -> None:
    system, full, fixed = _encoders()
    g_full, g_fixed = _molecule_gradients(full, system), _molecule_gradients(fixed, system)
    offsets = system.positions.reshape(-1, 3, 3) - system.positions.reshape(-1, 3, 3).mean(1, keepdim=True)
    scale = float(g_full.abs().max())
    for name, reduce in (("net force", lambda g: g.sum(1)),
                         ("torque", lambda g: torch.linalg.cross(offsets, g, dim=-1).sum(1))):
        torch.testing.assert_close(reduce(g_fixed), reduce(g_full), rtol=0.0, atol=1e-10 * scale, msg=name)
    # what differs is the stage-1 part, along the bonds: large, so the checks above can fail
    assert float((g_fixed - g_full).abs().max()) > 1e-3 * scale


def test_gradient_matches_central_differences() -> None:
    system, _, fixed = _encoders()
    check_central_differences(fixed, system)


def test_identical_molecules_get_identical_rows_and_permuting_them_changes_nothing() -> None:
    system, _, fixed = _encoders()
    nodes, weights = fixed.fixed_nodes, fixed.fixed_direction_weights.reshape(-1, 3, fixed.directions.directions)
    assert torch.equal(nodes, nodes[:1].expand_as(nodes))
    assert torch.equal(weights, weights[:1].expand_as(weights))
    order = torch.randperm(system.species.shape[0], generator=torch.Generator().manual_seed(2))
    permuted = system.positions.reshape(-1, 3, 3)[order].reshape(-1, 3)
    with torch.no_grad():
        a = fixed(system.positions[None], system.box[None]).z
        b = fixed(permuted[None], system.box[None]).z
    torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-14)


def test_fix_bonds_refuses_unequal_equivalent_bonds() -> None:
    system = lattice(3, seed=5, jitter=0.03)
    encoder = make_encoder(system, "mean")
    lengths = bond_lengths(system.positions, system.box, system.bonds.t())
    lengths[0] += 0.01  # one O-H bond 0.01 nm longer than its equivalents
    with pytest.raises(ValueError, match="the bonds are not constrained"):
        encoder.fix_bonds(lengths)
    assert encoder.fixed_nodes.numel() == 0


def test_set_topology_undoes_fixed_bonds() -> None:
    system, _, fixed = _encoders()
    fixed.set_topology(*system.topology())
    assert fixed.fixed_nodes.numel() == 0 and fixed.fixed_bond_length.numel() == 0


def test_classes_and_canonical_atoms_of_two_species() -> None:
    """Molecules water (3 atoms, bonds O-H1 and O-H2), CO (2 atoms), water, CO; atoms in that order."""
    atom_mol = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 3, 3])
    species = torch.tensor([0, 1, 0, 1])
    bonds = torch.tensor([[0, 0, 3, 5, 5, 8], [1, 2, 4, 6, 7, 9]])
    assert local_ranks(atom_mol, 4).tolist() == [0, 1, 2, 0, 1, 0, 1, 2, 0, 1]
    classes = bond_classes(bonds, atom_mol, species)
    assert classes[0] == classes[3] and classes[1] == classes[4] and classes[2] == classes[5]
    assert len(set(classes.tolist())) == 3
    lengths = torch.tensor([0.0957, 0.0958, 0.1128, 0.0959, 0.0956, 0.1128], dtype=torch.float64)
    means, spread = class_means(lengths, classes)
    torch.testing.assert_close(means, torch.tensor([0.0958, 0.0957, 0.1128] * 2, dtype=torch.float64))
    assert spread == pytest.approx(1e-4)
    assert canonical_atoms(atom_mol, species).tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
