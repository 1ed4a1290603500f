"""Deduplication of ascent endpoints: DBSCAN, and its k-means fallback."""

from __future__ import annotations

import numpy as np

from latentcv.cluster.nmc.dedup import deduplicate


def _groups(centres: np.ndarray, spread: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    which = np.repeat(np.arange(len(centres)), n)
    return centres[which] + spread * rng.standard_normal((len(which), centres.shape[1])), which


def test_dbscan_merges_endpoints_of_one_mode() -> None:
    ends, which = _groups(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), 1e-5, 40, 0)
    values = -np.linalg.norm(ends - np.array([0.0, 0.0]), axis=1)
    d = deduplicate(ends, values)
    assert d.method == "dbscan" and len(d.modes) == 3
    first = d.groups[::40]  # group of the first endpoint of each true mode
    assert len(set(first.tolist())) == 3 and np.array_equal(first[which], d.groups)
    # Each representative is its group's endpoint of highest φ.
    for g in range(3):
        assert d.values[g] == values[d.groups == g].max()


def test_fallback_when_dbscan_finds_one_group_but_more_were_asked() -> None:
    ends, which = _groups(np.array([[0.0, 0.0], [0.5, 0.0]]), 0.02, 30, 1)
    values = np.zeros(len(ends))
    assert deduplicate(ends, values, min_eps=1.0).method == "dbscan"  # one wide group
    d = deduplicate(ends, values, n_clusters=2, min_eps=1.0)
    assert d.method == "kmeans-fallback" and len(d.modes) == 2
    assert abs(np.corrcoef(d.groups, which)[0, 1]) == 1.0


def test_fallback_when_dbscan_marks_everything_noise() -> None:
    # Loose groups and a radius of the smallest nearest-neighbour distance: no point has 5
    # neighbours within it, so DBSCAN calls every endpoint noise; k-means with k by silhouette.
    ends, which = _groups(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]), 0.5, 20, 2)
    d = deduplicate(ends, np.zeros(len(ends)), eps_quantile=0.0, min_eps=1e-9, min_samples=5)
    assert d.method == "kmeans-fallback" and len(d.modes) == 3
    assert len({(a, b) for a, b in zip(d.groups, which)}) == 3
