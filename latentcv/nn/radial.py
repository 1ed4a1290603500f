"""Gaussian radial basis expansion of distances."""

from __future__ import annotations

import torch
from torch import Tensor


class GaussianBasis(torch.nn.Module):
    """Expand distances on ``n`` Gaussians evenly spaced on ``[0, r_max]``.

    Parameters
    ----------
    n : int
        Number of basis functions.
    r_max : float
        Centre of the last Gaussian, nm.
    """

    def __init__(self, n: int, r_max: float) -> None:
        super().__init__()
        self.register_buffer("centres", torch.linspace(0.0, r_max, n))
        self.width = r_max / max(n - 1, 1)

    def forward(self, r: Tensor) -> Tensor:
        """``r[...]`` in nm to features ``[..., n]``."""
        centres = self.centres.to(r.dtype)
        return torch.exp(-0.5 * ((r.unsqueeze(-1) - centres) / self.width) ** 2)
