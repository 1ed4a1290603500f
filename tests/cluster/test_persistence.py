"""Persistence pruning keeps the three real basins and merges the spurious bumps into them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentcv.cluster.nmc.modes import seek_modes
from latentcv.cluster.nmc.persistence import knn_edges, prune_modes

BIG = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]])
# Two narrow, light bumps (weights 1e-3 to 2e-3 of a big one) 1.2 away from each big mean:
# local maxima of the density with shallow basins.
DIRECTIONS = np.array([[1.0, 0.0], [0.0, 1.0]]) * 1.2
BUMPS = (BIG[:, None, :] + DIRECTIONS[None]).reshape(-1, 2)
OWNER = np.repeat(np.arange(3), 2)  # the big mode each bump belongs to


@pytest.fixture
def landscape(mixture):
    """φ = log density of the 3 big + 6 small components, its 9 modes and their values."""
    means = np.vstack([BIG, BUMPS])
    stds = np.r_[np.full(3, 0.5), np.full(6, 0.05)]
    weights = np.r_[np.full(3, 1.0), 0.001 * (1.0 + 0.2 * np.arange(6))]  # distinct persistences
    phi_t = mixture(means, stds, weights)
    ascent = seek_modes(phi_t, torch.as_tensor(means), step=1e-3, tol=1e-6, max_iter=5000)
    modes = ascent.endpoints.numpy()
    assert bool(ascent.converged.all())
    assert np.linalg.norm(modes[3:] - BUMPS, axis=1).max() < 0.1, "every bump must be a mode of its own"

    def phi(x: np.ndarray) -> np.ndarray:
        return phi_t(torch.as_tensor(x)).numpy()

    return phi, modes, ascent.values.numpy()


def _check_three_basins(pruned) -> None:
    assert sorted(pruned.kept.tolist()) == [0, 1, 2]
    assert pruned.survivor[:3].tolist() == [0, 1, 2]
    assert pruned.survivor[3:].tolist() == OWNER.tolist()


def test_default_rule_keeps_the_three_basins(landscape) -> None:
    phi, modes, values = landscape
    pruned = prune_modes(modes, values, phi, k_neighbours=3)
    _check_three_basins(pruned)
    assert np.isinf(pruned.persistence).sum() == 1
    assert pruned.persistence[3:].max() < 0.5 * np.sort(pruned.persistence[:3])[1]


def test_percentile_rule_and_fixed_count(landscape) -> None:
    phi, modes, values = landscape
    # 8 mortal modes, 2 of them real: the 75th percentile lies between the bumps and the basins.
    _check_three_basins(prune_modes(modes, values, phi, k_neighbours=3, tau=75.0))
    _check_three_basins(prune_modes(modes, values, phi, k_neighbours=3, n_keep=3))
    # The 50th percentile keeps two bumps as well (the documented weakness of the percentile rule).
    assert len(prune_modes(modes, values, phi, k_neighbours=3, tau=50.0).kept) == 5


def test_without_barrier_samples_a_mode_with_a_higher_neighbour_dies_at_birth(landscape) -> None:
    phi, modes, values = landscape
    pruned = prune_modes(modes, values, phi, k_neighbours=8, barrier_samples=0)
    assert len(pruned.kept) == 1 and np.count_nonzero(pruned.persistence == 0) == 8


def test_disconnected_graph_keeps_one_immortal_mode_per_component() -> None:
    modes = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [10.1, 0.0]])
    values = np.array([1.0, 0.5, 2.0, 0.1])
    assert knn_edges(modes, 1).tolist() == [[0, 1], [2, 3]]
    pruned = prune_modes(modes, values, lambda x: np.zeros(len(x)), k_neighbours=1, barrier_samples=0)
    assert sorted(pruned.kept.tolist()) == [0, 2]
    assert pruned.survivor.tolist() == [0, 0, 2, 2]
