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


# The readout inside the encoder, exported as it is: the physics rules of every CV.

def test_the_encoder_with_crystallinity_scripts_and_is_invariant() -> None:
    """Scripted equals eager; p is unchanged by translation, re-wrapping and a rotation of the
    periodic system (axes permuted), and permuted with the molecules."""
    from tests.nn.synthetic import lattice, make_encoder

    system = lattice(3, seed=2, jitter=0.03)
    enc = make_encoder(system, crystallinity=True)
    x, box = system.positions, system.box
    ref = enc(x[None], box[None]).crystallinity
    assert ref.shape == (27,) and float(ref.detach().std()) > 0, "molecules in different environments read differently"
    torch.testing.assert_close(torch.jit.script(enc)(x[None], box[None]).crystallinity, ref, rtol=0, atol=1e-12)
    rot = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    wrapped = x.clone()
    wrapped[9:12] -= box[2]
    for name, moved in [("translation", x + torch.tensor([0.37, -1.1, 2.9], dtype=x.dtype)), ("re-wrapping", wrapped),
                        ("rotation", x @ rot.T)]:
        torch.testing.assert_close(enc(moved[None], box[None]).crystallinity, ref, rtol=0, atol=1e-10, msg=name)
    perm = torch.randperm(27, generator=torch.Generator().manual_seed(0))
    permuted = x.reshape(-1, 3, 3)[perm].reshape(-1, 3)
    torch.testing.assert_close(enc(permuted[None], box[None]).crystallinity, ref[perm], rtol=0, atol=1e-10)


def test_crystallinity_of_a_replica_is_that_of_its_cell() -> None:
    """Size transfer: each molecule of a 2x2x2 replica of a periodic configuration reads the p of
    its image in the cell; the count is extensive (8 times the cell's)."""
    import copy

    from tests.nn.synthetic import Lattice, lattice, make_encoder

    small = lattice(3, seed=4, jitter=0.02)
    enc = make_encoder(small, crystallinity=True)
    m, n = small.species.shape[0], small.positions.shape[0]
    shifts = torch.stack(torch.meshgrid(*[torch.arange(2)] * 3, indexing="ij"), -1).reshape(-1, 3).double()
    big = Lattice(torch.cat([small.positions + s @ small.box for s in shifts]), small.box * 2,
                  small.features.repeat(8, 1), torch.cat([small.atom_mol + k * m for k in range(8)]),
                  torch.cat([small.bonds + k * n for k in range(8)], dim=1), small.masses.repeat(8),
                  small.species.repeat(8))
    big_enc = copy.deepcopy(enc)
    big_enc.set_topology(*big.topology())
    big_enc.double()
    p_small = enc(small.positions[None], small.box[None]).crystallinity
    p_big = big_enc(big.positions[None], big.box[None]).crystallinity
    torch.testing.assert_close(p_big, p_small.repeat(8), rtol=0, atol=1e-9)


def test_crystal_count_gradient_matches_central_differences() -> None:
    """float64 forces of Σ p_i against central finite differences (h = 1e-6 nm, rel. 1e-5)."""
    from tests.nn.synthetic import lattice, make_encoder

    system = lattice(3, seed=5, jitter=0.03)
    enc = make_encoder(system, crystallinity=True)
    x = system.positions.clone().requires_grad_(True)

    def count(positions: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(enc(positions[None], system.box[None]).crystallinity).sum()

    (grad,) = torch.autograd.grad(count(x), x)
    h = 1e-6
    for atom in (0, 7, 40):
        for axis in range(3):
            plus, minus = system.positions.clone(), system.positions.clone()
            plus[atom, axis] += h
            minus[atom, axis] -= h
            with torch.no_grad():
                fd = float(count(plus) - count(minus)) / (2 * h)
            assert abs(float(grad[atom, axis]) - fd) <= max(1e-5 * abs(fd), 1e-8), (atom, axis)


def test_crystal_count_is_smooth_when_a_molecule_crosses_the_cutoff() -> None:
    """As for z (tests/nn/test_encoder.py): halving the step along a path on which neighbours cross
    the cutoff halves the largest change of Σ p_i and of its gradient."""
    from tests.nn.synthetic import lattice, make_encoder

    system = lattice(3, spacing=0.31)
    enc = make_encoder(system, crystallinity=True)
    direction = torch.tensor([1.0, 0.3, 0.2], dtype=torch.float64)
    direction /= direction.norm()

    def path(steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        values, grads = [], []
        for t in torch.linspace(0.0, 0.2, steps + 1, dtype=torch.float64):
            x = system.positions.clone()
            x[0:3] += t * direction
            x.requires_grad_(True)
            count = torch.sigmoid(enc(x[None], system.box[None]).crystallinity).sum()
            (g,) = torch.autograd.grad(count, x)
            values.append(count.item())
            grads.append(g[0:3].sum(0))
        return torch.tensor(values), torch.stack(grads)

    coarse_v, coarse_g = path(40)
    fine_v, fine_g = path(80)
    assert (fine_v.diff().abs().max() / coarse_v.diff().abs().max()).item() < 0.6
    jumps = [(g[1:] - g[:-1]).norm(dim=1).max() for g in (fine_g, coarse_g)]
    assert (jumps[0] / jumps[1]).item() < 0.6
