"""Mean of a molecule's atom features."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter


class MeanPooling(torch.nn.Module):
    """``node_m = mean over atoms a of molecule m of h_a`` (no parameters, no auxiliary loss)."""

    def forward(
        self, h: Tensor, atom_mol: Tensor, n_mol: int, species: Tensor, bonds: Tensor
    ) -> tuple[Tensor, Tensor]:
        nodes = scatter(h, atom_mol, dim=0, dim_size=n_mol, reduce="mean")
        return nodes, torch.zeros((), dtype=h.dtype, device=h.device)
