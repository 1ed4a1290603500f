"""Training of the potential: denoising score matching plus an optional invariance term.

Denoising score matching (Vincent 2011) over noise scales σ ~ LogUniform(σ_min, σ_max): for a
clean point x, noise ε ~ N(0, I) and x̃ = x + σε, the score ∇φ(x̃) should equal the score of the
Gaussian kernel, −ε/σ. With the usual weight σ², the loss per point is ‖σ∇φ(x̃) + ε‖² / d.

The invariance term asks that a point x and its augmented view x_aug (the same configuration,
e.g. rotated, re-imaged or re-sampled, encoded again) end in the same mode:

- ``gradient-cosine``: 1 − cos(∇φ(x), ∇φ(x_aug)), the two climbs start in the same direction;
- ``endpoint``: ‖e(x) − e(x_aug)‖² / d, where e is a few differentiable ascent steps
  x ← x + η∇φ(x) (trained through, so the penalty reaches the potential's shape).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn.functional import cosine_similarity

from latentcv.cluster.nmc.potential import value_and_grad
from latentcv.errors import InputError

Invariance = Literal["gradient-cosine", "endpoint"]


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters of :func:`train_potential` (lengths in the units of the training points).

    Parameters
    ----------
    steps : int
        Optimiser steps.
    batch_size : int
        Points per step, drawn with replacement.
    lr : float
        Adam learning rate.
    sigma_min, sigma_max : float
        Range of the log-uniform noise scales.
    invariance : {"gradient-cosine", "endpoint"}
        Form of the invariance term (used only when an augmented view is given).
    invariance_weight : float
        Weight of the invariance term against the score-matching loss.
    endpoint_steps : int
        Differentiable ascent steps of the ``endpoint`` term.
    endpoint_step : float
        Step size η of those ascent steps.
    """

    steps: int = 400
    batch_size: int = 128
    lr: float = 1e-2
    sigma_min: float = 0.05
    sigma_max: float = 0.5
    invariance: Invariance = "gradient-cosine"
    invariance_weight: float = 0.1
    endpoint_steps: int = 5
    endpoint_step: float = 0.05

    def __post_init__(self) -> None:
        if self.invariance not in ("gradient-cosine", "endpoint"):
            raise InputError(f"invariance must be 'gradient-cosine' or 'endpoint', got {self.invariance!r}")
        if not 0.0 < self.sigma_min <= self.sigma_max:
            raise InputError(f"need 0 < sigma_min <= sigma_max, got {self.sigma_min}, {self.sigma_max}")
        if self.steps < 1 or self.batch_size < 1:
            raise InputError(f"steps and batch_size must be positive, got {self.steps}, {self.batch_size}")


def dsm_loss(phi: nn.Module, x: Tensor, sigma: Tensor, noise: Tensor) -> Tensor:
    """σ²-weighted denoising score-matching loss.

    Parameters
    ----------
    phi : nn.Module
        The potential, (n, d) → (n,).
    x : Tensor, shape (n, d)
        Clean points.
    sigma : Tensor, shape (n,)
        Noise scale per point.
    noise : Tensor, shape (n, d)
        Standard normal ε per point.

    Returns
    -------
    Tensor, 0-d
        Mean over points of ‖σ∇φ(x + σε) + ε‖² / d.
    """
    s = sigma[:, None]
    _, score = value_and_grad(phi, x + s * noise, create_graph=True)
    return ((s * score + noise) ** 2).mean()


def ascent_endpoints(phi: nn.Module, x: Tensor, steps: int, step: float) -> Tensor:
    """Differentiable fixed-step gradient ascent on φ.

    Parameters
    ----------
    phi : nn.Module
    x : Tensor, shape (n, d)
        Starting points.
    steps : int
        Number of steps.
    step : float
        Step size η.

    Returns
    -------
    Tensor, shape (n, d)
        x after ``steps`` updates x ← x + η∇φ(x), with the graph kept.
    """
    x = x.detach().requires_grad_(True)
    for _ in range(steps):
        _, grad = value_and_grad(phi, x, create_graph=True)
        x = x + step * grad
    return x


def invariance_loss(phi: nn.Module, x: Tensor, x_aug: Tensor, config: TrainingConfig) -> Tensor:
    """Disagreement of the climbs that start at two views of the same points.

    Parameters
    ----------
    phi : nn.Module
    x, x_aug : Tensor, shape (n, d)
        The two views, row by row the same configurations.
    config : TrainingConfig
        Selects the form (``invariance``) and the ascent of the ``endpoint`` form.

    Returns
    -------
    Tensor, 0-d
    """
    if config.invariance == "gradient-cosine":
        _, g = value_and_grad(phi, x.detach().requires_grad_(True), create_graph=True)
        _, g_aug = value_and_grad(phi, x_aug.detach().requires_grad_(True), create_graph=True)
        return (1.0 - cosine_similarity(g, g_aug, dim=-1, eps=1e-12)).mean()
    e = ascent_endpoints(phi, x, config.endpoint_steps, config.endpoint_step)
    e_aug = ascent_endpoints(phi, x_aug, config.endpoint_steps, config.endpoint_step)
    return ((e - e_aug) ** 2).mean()


def train_potential(
    phi: nn.Module,
    X: Tensor,
    X_aug: Tensor | None,
    config: TrainingConfig,
    generator: torch.Generator,
) -> list[float]:
    """Fit φ to the points by score matching, plus the invariance term when ``X_aug`` is given.

    Parameters
    ----------
    phi : nn.Module
        The potential, trained in place (left in eval mode).
    X : Tensor, shape (n_points, d)
        Training points.
    X_aug : Tensor, shape (n_points, d), or None
        Augmented view of the same points, same order.
    config : TrainingConfig
    generator : torch.Generator
        Source of the batches and the noise (seeded by the caller).

    Returns
    -------
    list of float
        Total loss per step.
    """
    optimiser = torch.optim.Adam(phi.parameters(), lr=config.lr)
    log_lo, log_hi = math.log(config.sigma_min), math.log(config.sigma_max)
    n, d = X.shape
    history = []
    phi.train()
    for _ in range(config.steps):
        idx = torch.randint(n, (config.batch_size,), generator=generator, device=X.device)
        u = torch.rand(config.batch_size, generator=generator, device=X.device, dtype=X.dtype)
        sigma = torch.exp(log_lo + (log_hi - log_lo) * u)
        noise = torch.randn(config.batch_size, d, generator=generator, device=X.device, dtype=X.dtype)
        loss = dsm_loss(phi, X[idx], sigma, noise)
        if X_aug is not None:
            loss = loss + config.invariance_weight * invariance_loss(phi, X[idx], X_aug[idx], config)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        history.append(loss.item())
    phi.eval()
    return history
