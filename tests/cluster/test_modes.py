"""Mode seeking climbs to the modes of a known Gaussian mixture."""

from __future__ import annotations

import numpy as np
import torch

from latentcv.cluster.nmc.modes import seek_modes

MEANS = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])


def test_ascent_reaches_the_mixture_modes(mixture) -> None:
    # Components 10 standard deviations apart: each mode lies within e^-50 of its mean.
    phi = mixture(MEANS, np.full(3, 0.3), np.array([0.5, 0.3, 0.2]))
    rng = np.random.default_rng(1)
    comp = rng.integers(0, 3, 200)
    start = torch.as_tensor(MEANS[comp] + 0.4 * rng.standard_normal((200, 2)))
    ascent = seek_modes(phi, start, step=0.05, tol=1e-6, max_iter=2000)
    end = ascent.endpoints.numpy()
    assert bool(ascent.converged.all())
    assert np.abs(end - MEANS[comp]).max() < 1e-4  # stated tolerance: 1e-4 (tol/curvature ≈ 1e-7)
    assert torch.all(ascent.values >= phi(start))


def test_backtracking_shrinks_steps_too_long_for_the_curvature(mixture) -> None:
    # A step of 10 overshoots a mode of curvature 1/0.3² ≈ 11 by a factor ~100: without the
    # element-wise halving the climb diverges or oscillates.
    phi = mixture(MEANS[:1], np.array([0.3]), np.array([1.0]))
    start = torch.tensor([[0.5, 0.0], [0.0, -0.2], [0.01, 0.01]], dtype=torch.float64)
    ascent = seek_modes(phi, start, step=10.0, tol=1e-6, max_iter=500)
    assert bool(ascent.converged.all())
    assert ascent.endpoints.abs().max() < 1e-6
