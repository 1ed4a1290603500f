"""Per-molecule crystallinity p_i from the per-molecule latents and their neighbours'.

A molecule's latent h_i describes its own environment out to the molecular cutoff (its first
shell). Whether that environment belongs to a crystal shows in the second shell too, so the
readout averages over the neighbours, as the averaged local order parameters of Lechner and
Dellago do (J. Chem. Phys. 129, 114707, 2008), twice: the standardised latents u_i, then the logits,

    ⟨x⟩_i = (x_i + Σ_j w_ij x_j) / (1 + Σ_j w_ij),
    a_i = MLP([u_i, ⟨u⟩_i]),      p_i = σ(⟨a⟩_i),

with w_ij the molecular graph's switching weights. u_i = (h_i − μ) / s is a fixed affine map once
trained (batch statistics while training, their running averages afterwards: molecules of one
species share most of their latent, and what tells their environments apart is small beside it).
A neighbour at the cutoff has weight 0 and enters smoothly, the MLP's activations are SiLU, so p_i
is smooth in the positions; it is invariant because h is. p_i sees three graph hops: the first
shell in h, the next two through the averages. Σ_i p_i is a smooth count of crystal-like molecules
and the mean of p_i the crystal fraction, both additive over the molecules of a mixed configuration.
"""

from __future__ import annotations

import torch
from torch import Tensor

from latentcv.nn.mlp import mlp


class CrystallinityReadout(torch.nn.Module):
    """Logits ⟨a⟩_i of p_i (see the module docstring).

    Parameters
    ----------
    node_dim : int
        Size of h_i.
    hidden : int
        Hidden layer size of the MLP.
    """

    def __init__(self, node_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = mlp([2 * node_dim, hidden, 1])
        self.standardise = torch.nn.BatchNorm1d(node_dim, affine=False)

    def forward(self, h: Tensor, src: Tensor, dst: Tensor, weight: Tensor) -> Tensor:
        """Logits ``[n]`` of the molecules of ``h[n, node_dim]``, over the directed edges j -> i
        (``src`` = j, ``dst`` = i, both directions listed) with switching weights ``weight[E]``."""
        u = self.standardise(h)
        count = torch.ones_like(u[:, 0]).index_add(0, dst, weight)
        shell = self._average(u, src, dst, weight, count)
        logit = self.net(torch.cat([u, shell], dim=-1))
        return self._average(logit, src, dst, weight, count).reshape(-1)

    def _average(self, x: Tensor, src: Tensor, dst: Tensor, weight: Tensor, count: Tensor) -> Tensor:
        return x.index_add(0, dst, weight.unsqueeze(-1) * x.index_select(0, src)) / count.unsqueeze(-1)
