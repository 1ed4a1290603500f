"""A tiny synthetic molecular system for encoder tests: rigid 3-site molecules on a lattice."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from latentcv.nn.encoder import EncoderConfig, HierarchicalEncoder

# O-H 0.09572 nm, H-O-H 104.52 degrees (water-like geometry)
MOLECULE = torch.tensor([[0.0, 0.0, 0.0], [0.09572, 0.0, 0.0], [-0.02399, 0.09267, 0.0]], dtype=torch.float64)
FEATURES = torch.tensor([[1.0, 0.0, 1.6, -0.8], [0.0, 1.0, 0.1, 0.4], [0.0, 1.0, 0.1, 0.4]])
MASSES = torch.tensor([16.0, 1.008, 1.008])


@dataclass
class Lattice:
    """Positions [n, 3] and box [3, 3] (nm) of cells^3 molecules, and their topology tensors."""

    positions: torch.Tensor
    box: torch.Tensor
    features: torch.Tensor
    atom_mol: torch.Tensor
    bonds: torch.Tensor
    masses: torch.Tensor
    species: torch.Tensor

    def topology(self) -> tuple[torch.Tensor, ...]:
        return self.features, self.atom_mol, self.bonds, self.masses, self.species


def lattice(cells: int, spacing: float = 0.31, seed: int | None = None, jitter: float = 0.0) -> Lattice:
    """A simple cubic lattice of identically oriented molecules (a 'crystal'); with ``seed``,
    random orientations and ``jitter`` (nm) on the centres (a 'melt'-like disorder)."""
    grid = torch.stack(torch.meshgrid(*[torch.arange(cells)] * 3, indexing="ij"), -1).reshape(-1, 3)
    centres = (grid.double() + 0.5) * spacing
    m = centres.shape[0]
    mols = MOLECULE.expand(m, 3, 3).clone()
    if seed is not None:
        g = torch.Generator().manual_seed(seed)
        rot = torch.linalg.qr(torch.randn(m, 3, 3, generator=g, dtype=torch.float64))[0]
        mols = mols @ rot.transpose(1, 2)
        centres = centres + jitter * torch.randn(m, 3, generator=g, dtype=torch.float64)
    positions = (centres[:, None, :] + mols).reshape(-1, 3)
    atom_mol = torch.arange(m).repeat_interleave(3)
    first = torch.arange(m) * 3
    bonds = torch.cat([torch.stack([first, first + 1]), torch.stack([first, first + 2])], dim=1)
    return Lattice(positions, torch.eye(3, dtype=torch.float64) * cells * spacing, FEATURES.repeat(m, 1),
                   atom_mol, bonds, MASSES.repeat(m), torch.zeros(m, dtype=torch.long))


def check_central_differences(encoder: torch.nn.Module, system: Lattice, atoms: int = 6, h: float = 1e-6,
                              rel: float = 1e-5) -> None:
    """Assert that autograd's gradient of ``encoder(...).z[0, 0]`` on float64 ``system`` matches central
    finite differences (step ``h`` nm, relative tolerance ``rel``, absolute 1e-8) on the three
    coordinates of ``atoms`` random atoms."""
    box = system.box[None]
    x = system.positions.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(encoder(x[None], box).z[0, 0], x)
    generator = torch.Generator().manual_seed(1)
    for atom in torch.randint(0, x.shape[0], (atoms,), generator=generator).tolist():
        for axis in range(3):
            plus, minus = system.positions.clone(), system.positions.clone()
            plus[atom, axis] += h
            minus[atom, axis] -= h
            with torch.no_grad():
                fd = (encoder(plus[None], box).z[0, 0] - encoder(minus[None], box).z[0, 0]) / (2 * h)
            assert abs(float(grad[atom, axis]) - float(fd)) <= max(rel * abs(float(fd)), 1e-8), (atom, axis)


def make_encoder(system: Lattice, pooling: str = "seeds", seed: int = 0,
                 crystallinity: bool = False) -> HierarchicalEncoder:
    """An untrained encoder for ``system``, float64, in eval mode; with ``crystallinity`` the
    crystallinity readout and the mean readout of z too, its standardisation set from this
    system's latents (as training would leave it)."""
    torch.manual_seed(seed)
    config = EncoderConfig(pooling=pooling, cutoff=0.45, switch_on=0.3, atom_dim=16, node_dim=32, latent_dim=4,
                           readout="mean" if crystallinity else "attention", crystallinity=crystallinity)
    enc = HierarchicalEncoder(FEATURES.shape[1], config)
    enc.set_topology(*system.topology())
    enc = enc.double()
    if crystallinity:  # running statistics of the standardisation from one pass in training mode
        assert enc.crystallinity is not None
        enc.crystallinity.standardise.momentum = None  # a plain average over the passes
        with torch.no_grad():
            enc.train()(system.positions[None], system.box[None])
    return enc.eval()
