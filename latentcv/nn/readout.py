"""Configuration latent from per-molecule latents: attention plus mean pooling, or a plain mean.

``attention``: the attention weights are a softmax over the molecules of a frame, so a few
molecules in a rare environment (a small crystalline nucleus in a large melt) can dominate the
attention part, while the mean part is an intensive average; an MLP follows the pooling.
``mean``: z is the mean over molecules of a per-molecule MLP of h_i, so that z of a configuration
made of parts (a crystal slab in its melt) is the molecule-weighted mix of the parts' latents, and
any linear function of z is linear in the parts' fractions. Both are independent of the number of
molecules, so a model trained at one size applies at another.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter, softmax

from latentcv.nn.mlp import mlp

#: The readouts of z: attention plus mean pooling, or the mean of a per-molecule MLP.
READOUTS = ("attention", "mean")


class ConfigurationReadout(torch.nn.Module):
    """``z = MLP([Σ_i a_i h_i, mean_i h_i])`` per frame, with ``a = softmax_i(score(h_i))``
    (``attention``), or ``z = mean_i MLP(h_i)`` (``mean``).

    Parameters
    ----------
    node_dim : int
        Size of the per-molecule latent h_i.
    latent_dim : int
        Size of the configuration latent z.
    mode : str
        ``attention`` or ``mean``.
    """

    def __init__(self, node_dim: int, latent_dim: int, mode: str = "attention") -> None:
        super().__init__()
        if mode not in READOUTS:
            raise ValueError(f"unknown readout {mode!r}; choose from {', '.join(READOUTS)}")
        self.mean_only = mode == "mean"
        self.score = torch.nn.Identity() if self.mean_only else mlp([node_dim, node_dim, 1])
        self.project = mlp([node_dim if self.mean_only else 2 * node_dim, node_dim, latent_dim])

    def forward(self, h: Tensor, frame: Tensor, n_frames: int) -> Tensor:
        """``h[M_total, node_dim]`` with the frame index of each molecule to ``z[n_frames, latent_dim]``."""
        if self.mean_only:
            per_molecule = self.project(h)
            if n_frames == 1:
                return per_molecule.mean(dim=0, keepdim=True)
            return scatter(per_molecule, frame, dim=0, dim_size=n_frames, reduce="mean")
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
