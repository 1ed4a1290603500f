"""The potential φ(x): a spectral-norm MLP from a latent vector to a scalar, and its gradient."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm


class PotentialMLP(nn.Module):
    """φ(x) = g · MLP(x / ℓ), every linear layer spectrally normalised.

    The spectral norm bounds the Lipschitz constant of the MLP (by 1.1^depth with SiLU), which keeps
    φ smooth and the score ∇φ bounded. Two learnable positive scalars set what the normalised MLP
    cannot: the gain g, the amplitude (a score grows like 1/σ at small noise σ), and the length
    scale ℓ, the resolution of the features (the curvature of φ scales as g/ℓ²). Without ℓ a
    spectral-norm MLP of unit-spread data learns one broad mode where the data have several.

    Parameters
    ----------
    dim : int
        Latent dimension d.
    hidden : int
        Width of the hidden layers.
    depth : int
        Number of hidden layers.
    length_scale : float
        Initial ℓ, in the units of x.
    """

    def __init__(self, dim: int, hidden: int = 64, depth: int = 2, length_scale: float = 0.25) -> None:
        super().__init__()
        widths = [dim] + [hidden] * depth
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths[:-1], widths[1:]):
            layers += [spectral_norm(nn.Linear(w_in, w_out)), nn.SiLU()]
        layers.append(spectral_norm(nn.Linear(widths[-1], 1)))
        self.net = nn.Sequential(*layers)
        self.log_gain = nn.Parameter(torch.tensor(0.0))
        self.log_length = nn.Parameter(torch.tensor(math.log(length_scale)))

    def forward(self, x: Tensor) -> Tensor:
        """φ at ``x`` of shape (n, d); returns shape (n,)."""
        return self.log_gain.exp() * self.net(x / self.log_length.exp()).squeeze(-1)


def value_and_grad(
    phi: Callable[[Tensor], Tensor],
    x: Tensor,
    create_graph: bool = False,
) -> tuple[Tensor, Tensor]:
    """φ(x) and ∇φ(x) for a batch.

    Parameters
    ----------
    phi : callable
        Maps (n, d) to (n,); each output depends only on its own row.
    x : Tensor, shape (n, d)
    create_graph : bool
        Keep the graph of the gradient (to train through it).

    Returns
    -------
    values : Tensor, shape (n,)
    grad : Tensor, shape (n, d)
    """
    with torch.enable_grad():
        x = x if x.requires_grad else x.detach().requires_grad_(True)
        values = phi(x)
        (grad,) = torch.autograd.grad(values.sum(), x, create_graph=create_graph)
    return values, grad
