"""The CV module: encoder plus head, a function of positions and box only."""

from __future__ import annotations

import torch
from torch import Tensor

from latentcv.nn.encoder import Deployment, HierarchicalEncoder
from latentcv.nn.views import ViewAveragedEncoder


class LatentCV(torch.nn.Module):
    """``forward(positions[n, 3], boxvectors[3, 3]) -> Tensor[n_cv]`` (nm in).

    The positions are those of the encoder's topology atoms (virtual sites excluded), in its order;
    the engine adapters (:mod:`latentcv.engines.openmm.adapter`) select them from all particles.

    Parameters
    ----------
    encoder : HierarchicalEncoder or ViewAveragedEncoder
        A trained encoder with its topology set, or it averaged over symmetry-equivalent views.
    head : torch.nn.Module
        ``forward(z[latent_dim], h[M, node_dim]) -> Tensor[n_cv]`` (see :mod:`latentcv.cv.heads`).
    """

    def __init__(self, encoder: HierarchicalEncoder | ViewAveragedEncoder, head: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.names: list[str] = list(head.names)

    def deployment(self) -> Deployment:
        """What deploying this CV needs to know of its encoder (:meth:`HierarchicalEncoder.deployment`)."""
        return self.encoder.deployment()

    @torch.jit.unused
    def set_pair_skin(self, skin: float) -> None:
        """Keep the molecular neighbour pairs between calls, with a Verlet ``skin`` in nm (see
        :meth:`HierarchicalEncoder.set_pair_skin`); the CV's values and forces do not change."""
        self.encoder.set_pair_skin(skin)

    def forward(self, positions: Tensor, boxvectors: Tensor) -> Tensor:
        out = self.encoder(positions.unsqueeze(0), boxvectors.unsqueeze(0))
        return self.head(out.z[0], out.h, out.crystallinity)
