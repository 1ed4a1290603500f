"""Synthetic latent data with known clusters and modes, shared by the clustering tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

#: Centres of the three well-separated blobs, latent units.
BLOB_MEANS = np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 3.5]])


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The potentials are tiny: on busy cores, several intra-op threads spin against each other and
    a one-second fit can take minutes. One thread keeps the timings stable."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """300 points in three isotropic Gaussian blobs (std 0.5), their labels, and an augmented view
    (each point moved by N(0, 0.1²)): ``X (300, 2), y (300,), X_aug (300, 2)``."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    X = BLOB_MEANS[y] + 0.5 * rng.standard_normal((300, 2))
    return X, y, X + 0.1 * rng.standard_normal(X.shape)


def gaussian_mixture_log_density(
    means: np.ndarray, stds: np.ndarray, weights: np.ndarray
) -> Callable[[torch.Tensor], torch.Tensor]:
    """log Σ_k w_k N(x; μ_k, s_k² I) as a torch function (n, d) → (n,), float64."""
    mu = torch.as_tensor(means, dtype=torch.float64)
    s = torch.as_tensor(stds, dtype=torch.float64)
    log_w = torch.log(torch.as_tensor(weights, dtype=torch.float64))
    d = mu.shape[1]

    def phi(x: torch.Tensor) -> torch.Tensor:
        sq = ((x[:, None, :] - mu[None]) ** 2).sum(-1)  # (n, k)
        log_n = -0.5 * sq / s**2 - d * torch.log(s) - 0.5 * d * np.log(2 * np.pi)
        return torch.logsumexp(log_w + log_n, dim=1)

    return phi


@pytest.fixture
def blob_means() -> np.ndarray:
    """The centres of the three blobs of ``blobs``, shape (3, 2)."""
    return BLOB_MEANS.copy()


@pytest.fixture
def mixture() -> Callable[..., Callable[[torch.Tensor], torch.Tensor]]:
    """The factory :func:`gaussian_mixture_log_density`."""
    return gaussian_mixture_log_density
