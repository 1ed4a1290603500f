"""The per-molecule crystallinity readout p_i = σ(⟨MLP([u_i, ⟨u⟩_i])⟩_i): invariant to relabelling
the molecules, smooth as a neighbour crosses the cutoff (its weight goes to 0 with zero slope), and
local: a molecule more than two graph hops away does not change p_i. Evaluated in eval mode, as
exported (the standardisation then is a fixed affine map)."""

from __future__ import annotations

import torch

from latentcv.geometry import switch_polynomial
from latentcv.nn.crystallinity import CrystallinityReadout


def _graph(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    i, j = torch.triu_indices(n, n, 1)
    keep = torch.rand(i.shape[0], generator=generator) < 0.3
    i, j = i[keep], j[keep]
    w = torch.rand(i.shape[0], generator=generator, dtype=torch.float64)
    return torch.cat([j, i]), torch.cat([i, j]), torch.cat([w, w])


def test_relabelling_the_molecules_permutes_p() -> None:
    torch.manual_seed(0)
    readout = CrystallinityReadout(6, 8).double().eval()
    h = torch.randn(10, 6, dtype=torch.float64)
    src, dst, w = _graph(10, 1)
    perm = torch.randperm(10)
    inverse = torch.argsort(perm)
    moved = readout(h[perm], inverse[src], inverse[dst], w)
    torch.testing.assert_close(moved, readout(h, src, dst, w)[perm], rtol=0, atol=1e-12)


def test_a_neighbour_at_the_cutoff_enters_smoothly() -> None:
    """p_0 as molecule 1 moves out through the cutoff: it reaches its value without that edge, and
    its derivative goes to zero there (halving the step near the cutoff halves the change of the
    slope at least twice over: the switching function is C2)."""
    torch.manual_seed(3)
    readout = CrystallinityReadout(4, 8).double().eval()
    h = torch.randn(3, 4, dtype=torch.float64)
    src, dst = torch.tensor([1, 2, 0, 0]), torch.tensor([0, 0, 1, 2])

    def p0(distance: torch.Tensor) -> torch.Tensor:
        w01 = switch_polynomial(distance, 0.3, 0.4)
        w = torch.stack([w01, torch.tensor(0.7, dtype=torch.float64), w01, torch.tensor(0.7, dtype=torch.float64)])
        return readout(h, src, dst, w)[0]

    without = readout(h, src[[1, 3]], dst[[1, 3]], torch.tensor([0.7, 0.7], dtype=torch.float64))[0]
    torch.testing.assert_close(p0(torch.tensor(0.4, dtype=torch.float64)), without, rtol=0, atol=1e-14)
    slopes = []
    for step in (1e-2, 5e-3):
        d = torch.tensor(0.4 - step, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(p0(d), d)
        slopes.append(abs(float(g)))
    assert slopes[1] <= slopes[0] / 3.5  # quadratic approach of the slope to 0


def test_p_sees_two_hops_and_no_further() -> None:
    """On a chain 0-1-2-3-4, p_0 changes with h_1 and h_2 and not with h_3 or h_4: the readout's
    two averages add two hops to h, which already holds the first shell."""
    torch.manual_seed(4)
    readout = CrystallinityReadout(4, 8).double().eval()
    h = torch.randn(5, 4, dtype=torch.float64)
    src, dst = torch.tensor([1, 0, 2, 1, 3, 2, 4, 3]), torch.tensor([0, 1, 1, 2, 2, 3, 3, 4])
    w = torch.full((8,), 0.8, dtype=torch.float64)
    base = readout(h, src, dst, w)[0]
    for k, changes in ((1, True), (2, True), (3, False), (4, False)):
        other = h.clone()
        other[k] += 1.0
        assert bool(readout(other, src, dst, w)[0] != base) == changes
