"""The hierarchical encoder: scripting, invariances, size transfer, smoothness, exact gradients."""

from __future__ import annotations

import copy

import pytest
import torch

from tests.nn.synthetic import Lattice, check_central_differences, lattice, make_encoder

POOLINGS = ["seeds", "diffpool", "mean"]


@pytest.mark.parametrize("pooling", POOLINGS)
def test_scripted_equals_eager(pooling: str) -> None:
    system = lattice(3, seed=1, jitter=0.02)
    enc = make_encoder(system, pooling)
    scripted = torch.jit.script(enc)
    x, b = system.positions[None], system.box[None]
    eager, script = enc(x, b), scripted(x, b)
    torch.testing.assert_close(script.z, eager.z, rtol=0, atol=1e-12)
    torch.testing.assert_close(script.h, eager.h, rtol=0, atol=1e-12)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_invariant_to_translation_permutation_and_wrapping(pooling: str) -> None:
    system = lattice(3, seed=2, jitter=0.03)
    enc = make_encoder(system, pooling)
    x, box = system.positions, system.box
    ref = enc(x[None], box[None]).z
    shifted = x + torch.tensor([0.37, -1.1, 2.9], dtype=x.dtype)
    perm = torch.randperm(x.shape[0] // 3, generator=torch.Generator().manual_seed(0))
    permuted = x.reshape(-1, 3, 3)[perm].reshape(-1, 3)
    h_perm = torch.tensor([0, 2, 1]).repeat(x.shape[0] // 3) + torch.arange(x.shape[0] // 3).repeat_interleave(3) * 3
    swapped = x[h_perm]  # the two equivalent H atoms of every molecule exchanged
    wrapped = x.clone()
    wrapped[4] += box[1] - 2 * box[0]  # one H of molecule 1 moved to another image
    wrapped[9:12] -= box[2]  # a whole molecule moved to another image
    for name, moved in [("translation", shifted), ("molecule permutation", permuted),
                        ("equivalent-atom permutation", swapped), ("re-wrapping", wrapped)]:
        torch.testing.assert_close(enc(moved[None], box[None]).z, ref, rtol=0, atol=1e-10, msg=name)


def test_invariant_to_rotating_the_periodic_system() -> None:
    """A cubic box rotated by a lattice symmetry (axes permuted) is the same periodic system."""
    system = lattice(3, seed=3, jitter=0.03)
    enc = make_encoder(system)
    rot = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    ref = enc(system.positions[None], system.box[None]).z
    out = enc((system.positions @ rot.T)[None], system.box[None]).z
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_size_transfer_on_a_replicated_crystal(pooling: str) -> None:
    """z is intensive: a 2x2x2 replica of a periodic crystal has exactly the z of the cell, and
    nothing in the model depends on the number of molecules."""
    small = lattice(3, seed=4, jitter=0.02)
    enc = make_encoder(small, pooling)
    m, n = small.species.shape[0], small.positions.shape[0]
    shifts = torch.stack(torch.meshgrid(*[torch.arange(2)] * 3, indexing="ij"), -1).reshape(-1, 3).double()
    big_pos = torch.cat([small.positions + s @ small.box for s in shifts])
    big = Lattice(big_pos, small.box * 2, small.features.repeat(8, 1),
                  torch.cat([small.atom_mol + k * m for k in range(8)]),
                  torch.cat([small.bonds + k * n for k in range(8)], dim=1),
                  small.masses.repeat(8), small.species.repeat(8))
    big_enc = copy.deepcopy(enc)
    big_enc.set_topology(*big.topology())
    big_enc.double()
    z_small = enc(small.positions[None], small.box[None]).z
    z_big = big_enc(big.positions[None], big.box[None]).z
    torch.testing.assert_close(z_big, z_small, rtol=0, atol=1e-9)


def _path(enc, system: Lattice, n_steps: int) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """z summed, its gradient on the moving molecule, and the edge count along the path."""
    direction = torch.tensor([1.0, 0.3, 0.2], dtype=torch.float64)
    direction /= direction.norm()
    values, grads, edges = [], [], []
    for t in torch.linspace(0.0, 0.2, n_steps + 1, dtype=torch.float64):
        x = system.positions.clone()
        x[0:3] += t * direction
        x.requires_grad_(True)
        out = enc(x[None], system.box[None])
        (g,) = torch.autograd.grad(out.z.sum(), x)
        values.append(out.z.sum().item())
        grads.append(g[0:3].sum(0))
        edges.append(int(out.graph.src.shape[0]))
    return torch.tensor(values), torch.stack(grads), edges


def test_smooth_when_a_molecule_crosses_the_cutoff() -> None:
    """Move one molecule so that neighbours cross the cutoff. Halving the step must halve the
    largest change of z and of its gradient between steps: a jump in either would not shrink."""
    system = lattice(3, spacing=0.31)
    enc = make_encoder(system)
    coarse_v, coarse_g, edges = _path(enc, system, 40)
    fine_v, fine_g, _ = _path(enc, system, 80)
    assert len(set(edges)) > 1, "the path should take neighbours across the cutoff"
    value_ratio = (fine_v.diff().abs().max() / coarse_v.diff().abs().max()).item()
    grad_ratio = ((fine_g[1:] - fine_g[:-1]).norm(dim=1).max()
                  / (coarse_g[1:] - coarse_g[:-1]).norm(dim=1).max()).item()
    assert value_ratio < 0.6, value_ratio
    assert grad_ratio < 0.6, grad_ratio


def test_autograd_matches_central_differences() -> None:
    """float64 forces of z[0] against central finite differences, h = 1e-6 nm; rel. tol 1e-5."""
    system = lattice(3, seed=5, jitter=0.03)
    check_central_differences(make_encoder(system), system)


def test_refuses_a_box_smaller_than_twice_the_cutoff() -> None:
    system = lattice(2)  # 0.62 nm box, 0.45 nm cutoff
    enc = make_encoder(system)
    with pytest.raises(RuntimeError, match="narrower than twice the molecular cutoff"):
        enc(system.positions[None], system.box[None])


def test_batched_frames_equal_single_frames() -> None:
    a, b = lattice(3, seed=6, jitter=0.02), lattice(3, seed=7, jitter=0.02)
    enc = make_encoder(a)
    both = enc(torch.stack([a.positions, b.positions]), torch.stack([a.box, b.box])).z
    torch.testing.assert_close(both[0], enc(a.positions[None], a.box[None]).z[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(both[1], enc(b.positions[None], b.box[None]).z[0], rtol=0, atol=1e-12)
