"""Orientation invariants of molecule pairs (``MolecularDirections.relations``) against their definition."""

import torch

from latentcv.nn.orientation import MolecularDirections


def _vectors(
    n_mol: int, k: int, pairs: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    u = torch.nn.functional.normalize(torch.randn(n_mol, k, 3, generator=gen, dtype=torch.float64), dim=-1)
    first = torch.randint(0, n_mol, (pairs,), generator=gen)
    second = torch.randint(0, n_mol, (pairs,), generator=gen)
    unit = torch.nn.functional.normalize(torch.randn(3, pairs, generator=gen, dtype=torch.float64), dim=0)
    return u, first, second, unit


def test_relations_are_the_dot_products_they_name() -> None:
    """forward = (u_ik·u_jl for k, l; u_ik·r̂; u_jl·r̂), pairs along the last axis, for K = 1, 2, 3."""
    for k in (1, 2, 3):
        directions = MolecularDirections(4, k).double()
        u, first, second, unit = _vectors(7, k, 11, seed=k)
        forward = directions.relations(u, first, second, unit)
        assert forward.shape == (directions.relation_dim, 11)
        for p in range(11):
            ui, uj, r = u[first[p]], u[second[p]], unit[:, p]
            expected = torch.cat([(ui @ uj.T).flatten(), ui @ r, uj @ r])
            torch.testing.assert_close(forward[:, p], expected, rtol=0, atol=1e-14)


def test_reversal_gives_the_pair_seen_from_the_other_end() -> None:
    """reversal() @ relations of (i, j, r̂) equals the relations of (j, i, -r̂), bit for bit (its entries
    are 0 and ±1), gradients included, for K = 1, 2, 3."""
    for k in (1, 2, 3):
        directions = MolecularDirections(4, k).double()
        u, first, second, unit = _vectors(9, k, 20, seed=5 + k)
        u.requires_grad_(True)
        reverse = directions.reversal().double() @ directions.relations(u, first, second, unit)
        forward_swapped = directions.relations(u, second, first, -unit)
        assert torch.equal(reverse, forward_swapped)
        weights = torch.randn(reverse.shape, dtype=torch.float64)
        (grad_reverse,) = torch.autograd.grad((weights * reverse).sum(), u)
        (grad_swapped,) = torch.autograd.grad((weights * forward_swapped).sum(), u)
        torch.testing.assert_close(grad_reverse, grad_swapped, rtol=0, atol=1e-14)
