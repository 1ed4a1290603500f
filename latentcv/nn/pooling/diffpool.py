"""Dense DiffPool (Ying et al., NeurIPS 2018) of each molecule's atoms, then a mean over clusters.

Within each molecule a GNN-free assignment network gives a soft assignment S of atoms to C clusters;
PyG's ``dense_diff_pool`` coarsens the features and the bond adjacency with it and returns the link
prediction loss ||A - S S^T||_F / |A| and the assignment entropy, which training adds as auxiliary
losses. The molecule's node is the mean of its C cluster features.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.nn import dense_diff_pool
from torch_geometric.utils import to_dense_adj, to_dense_batch

from latentcv.nn.mlp import mlp


class DiffPooling(torch.nn.Module):
    """DiffPool of each molecule into ``clusters`` soft clusters, averaged into one node.

    Parameters
    ----------
    dim : int
        Feature size.
    clusters : int
        Number of clusters C per molecule.
    entropy_weight : float
        Weight of the entropy loss relative to the link loss in ``aux_loss``.
    """

    def __init__(self, dim: int, clusters: int = 2, entropy_weight: float = 0.1) -> None:
        super().__init__()
        self.assign = mlp([dim, dim, clusters])
        self.entropy_weight = entropy_weight
        self.out = torch.nn.Linear(dim, dim)

    def forward(
        self, h: Tensor, atom_mol: Tensor, n_mol: int, species: Tensor, bonds: Tensor
    ) -> tuple[Tensor, Tensor]:
        order = torch.argsort(atom_mol, stable=True)  # to_dense_batch wants molecules contiguous
        rank = torch.empty_like(order)
        rank[order] = torch.arange(order.shape[0], device=order.device)
        x, mask = to_dense_batch(h[order], atom_mol[order], batch_size=n_mol)
        adj = to_dense_adj(rank[bonds], atom_mol[order], max_num_nodes=x.shape[1], batch_size=n_mol)
        adj = (adj + adj.transpose(1, 2)).to(x.dtype)  # bonds are listed once
        pooled, _, link_loss, entropy_loss = dense_diff_pool(x, adj, self.assign(x), mask)
        return self.out(pooled.mean(1)), link_loss + self.entropy_weight * entropy_loss
