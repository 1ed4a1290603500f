"""Configuration latent from per-molecule latents: attention pooling plus mean pooling.

The attention weights are a softmax over the molecules of a frame, so a few molecules in a rare
environment (a small crystalline nucleus in a large melt) can dominate the attention part, while
the mean part is an intensive average. Both are independent of the number of molecules, so a model
trained at one size applies at another.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter, softmax

from latentcv.nn.mlp import mlp


class ConfigurationReadout(torch.nn.Module):
    """``z = W [Σ_i a_i h_i, mean_i h_i]`` per frame, with ``a = softmax_i(score(h_i))``.

    Parameters
    ----------
    node_dim : int
        Size of the per-molecule latent h_i.
    latent_dim : int
        Size of the configuration latent z.
    """

    def __init__(self, node_dim: int, latent_dim: int) -> None:
        super().__init__()
        self.score = mlp([node_dim, node_dim, 1])
        self.project = mlp([2 * node_dim, node_dim, latent_dim])

    def forward(self, h: Tensor, frame: Tensor, n_frames: int) -> Tensor:
        """``h[M_total, node_dim]`` with the frame index of each molecule to ``z[n_frames, latent_dim]``."""
        score = self.score(h)
        if n_frames == 1:
            # One frame (an exported CV): both sums as one product over all molecules, a handful of
            # operations instead of PyG's scatters (whose softmax also uses detach(),
            # which torch.jit.freeze deletes, so OpenMM would differentiate its maximum)
            a = torch.softmax(score, dim=0)
            weights = torch.cat([a, torch.full_like(a, 1.0 / h.shape[0])], dim=1)  # attention, mean
            pooled = (weights.t() @ h).reshape(1, -1)
        else:
            a = softmax(score, frame, num_nodes=n_frames, dim=0)
            pooled = torch.cat([scatter(a * h, frame, dim=0, dim_size=n_frames),
                                scatter(h, frame, dim=0, dim_size=n_frames, reduce="mean")], dim=-1)
        return self.project(pooled)
