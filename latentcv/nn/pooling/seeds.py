"""Attention pooling with learnable seed queries and a learnable number of active seeds.

K learnable seed vectors attend over the atoms of each molecule (a softmax over the molecule's
atoms per seed, as in the pooling-by-multihead-attention of Set Transformers and the "neural atoms"
of Li et al., 2024), which is invariant to permuting equivalent atoms. How many seeds are active per
molecule is learnt: a small network on the molecule's pooled statistics predicts the ratio k/N
(N its number of atoms); k = clamp(round(ratio N), k_min, k_max) with a straight-through estimator
in training. The node is the mean of the active seeds' outputs.

A rounded k would make the CV jump, so before export :meth:`SeedAttentionPooling.fix_counts` fixes k
per molecular species (the most frequent value in the training data); the exported forward pass then
has no discrete step.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch_geometric.utils import scatter, softmax

from latentcv.nn.mlp import mlp


class SeedAttentionPooling(torch.nn.Module):
    """Seed-query attention pooling of atoms into one node per molecule.

    Parameters
    ----------
    dim : int
        Atom and node feature size.
    seeds : int
        Maximum number of seeds K (k_max).
    min_seeds : int
        k_min.
    """

    def __init__(self, dim: int, seeds: int = 4, min_seeds: int = 1) -> None:
        super().__init__()
        if not 1 <= min_seeds <= seeds:
            raise ValueError(f"need 1 <= min_seeds ({min_seeds}) <= seeds ({seeds})")
        self.k_max = seeds
        self.k_min = min_seeds
        self.seeds = torch.nn.Parameter(torch.randn(seeds, dim) / math.sqrt(dim))
        self.key = torch.nn.Linear(dim, dim)
        self.value = torch.nn.Linear(dim, dim)
        self.ratio = mlp([dim + 1, dim, 1])
        self.out = torch.nn.Linear(dim, dim)
        # k per species once fixed for export; empty while k is learnt.
        self.register_buffer("fixed_k", torch.zeros(0))

    def counts(self, h: Tensor, atom_mol: Tensor, n_mol: int) -> tuple[Tensor, Tensor]:
        """Continuous and rounded seed counts per molecule, ``([n_mol], [n_mol])``."""
        n_atoms = scatter(torch.ones_like(atom_mol, dtype=h.dtype), atom_mol, dim=0, dim_size=n_mol)
        stats = torch.cat([scatter(h, atom_mol, dim=0, dim_size=n_mol, reduce="mean"),
                           torch.log(n_atoms).unsqueeze(-1)], dim=-1)
        k_cont = torch.sigmoid(self.ratio(stats)).squeeze(-1) * n_atoms
        k_cont = k_cont.clamp(float(self.k_min), float(self.k_max))
        return k_cont, torch.round(k_cont)

    def forward(
        self, h: Tensor, atom_mol: Tensor, n_mol: int, species: Tensor, bonds: Tensor
    ) -> tuple[Tensor, Tensor]:
        keys = self.key(h)
        logits = keys @ self.seeds.to(h.dtype).t() / math.sqrt(h.shape[1])  # [Na, K]
        alpha = softmax(logits, atom_mol, num_nodes=n_mol, dim=0)
        values = self.value(h)
        per_seed = scatter(alpha.unsqueeze(-1) * values.unsqueeze(1), atom_mol, dim=0, dim_size=n_mol)
        if self.counts_fixed():
            k = self.fixed_k.to(h.dtype)[species]
        else:
            k_cont, k_round = self.counts(h, atom_mol, n_mol)
            if self.training:
                k = k_cont + (k_round - k_cont).detach()  # straight-through: round forward, identity backward
            else:
                k = k_round.detach()  # exact gradients of a piecewise-constant k; fix_counts before export
        index = torch.arange(self.k_max, device=h.device, dtype=h.dtype)
        mask = (k.unsqueeze(-1) - index).clamp(0.0, 1.0)  # [n_mol, K]: 1 for the first k seeds
        nodes = (mask.unsqueeze(-1) * per_seed).sum(1) / mask.sum(1, keepdim=True)
        return self.out(nodes), torch.zeros((), dtype=h.dtype, device=h.device)

    def counts_fixed(self) -> bool:
        """Whether k is fixed per species (:meth:`fix_counts`), so that the forward pass is smooth."""
        return self.fixed_k.numel() > 0

    @torch.jit.unused
    def fix_counts(self, k_per_species: Tensor) -> None:
        """Fix k per species (``k_per_species[s]`` for species s) for a smooth exported forward."""
        self.fixed_k = k_per_species.to(self.seeds.device, torch.float32)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # type: ignore[no-untyped-def]
        # A fixed k has one entry per species, a learnt one none: take the size of the k being loaded.
        stored = state_dict.get(prefix + "fixed_k")
        if stored is not None:
            self.fixed_k = torch.zeros_like(stored, device=self.seeds.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
