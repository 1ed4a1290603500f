"""Deduplication of ascent endpoints into candidate modes: DBSCAN, with a k-means fallback.

Climbs that reach the same mode stop within about the gradient tolerance of each other, climbs
that reach different modes stop far apart. DBSCAN groups the endpoints with a radius ``eps`` read
off the endpoints themselves: the ``eps_quantile`` quantile of the distances from each endpoint to
its nearest other endpoint, but at least ``min_eps``. Most endpoints share their mode with many
others, so that quantile is small, and it grows with the spread that unconverged climbs leave. The
floor matters because converged climbs to one mode stop within about tolerance / curvature of it
(1e-5 apart in standardised units is common): without it one mode splits into many groups.

When DBSCAN marks every endpoint as noise, or finds one cluster while the caller asked for more,
k-means on the endpoints replaces it (with the requested k, or with k by silhouette).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import DBSCAN, KMeans
from sklearn.neighbors import NearestNeighbors

from latentcv.cluster.centroids import choose_k_silhouette


@dataclass(frozen=True)
class Deduplicated:
    """Candidate modes and which endpoint belongs to which.

    Attributes
    ----------
    modes : ndarray, shape (m, d)
        One representative per group: its endpoint of highest φ.
    values : ndarray, shape (m,)
        φ at the modes.
    groups : ndarray, shape (n,)
        Mode index of every endpoint (DBSCAN noise is given the nearest mode).
    eps : float
        The DBSCAN radius used.
    method : str
        ``"dbscan"`` or ``"kmeans-fallback"``.
    """

    modes: NDArray[np.float64]
    values: NDArray[np.float64]
    groups: NDArray[np.int64]
    eps: float
    method: str


def nn_quantile_eps(endpoints: NDArray[np.float64], quantile: float, min_eps: float) -> float:
    """The ``quantile`` of nearest-other-endpoint distances, at least ``min_eps``.

    Parameters
    ----------
    endpoints : ndarray, shape (n, d), n >= 2
    quantile : float
        In [0, 1].
    min_eps : float
        Floor of the radius (> 0: DBSCAN needs a positive eps).

    Returns
    -------
    float
    """
    dist, _ = NearestNeighbors(n_neighbors=2).fit(endpoints).kneighbors(endpoints)
    return max(float(np.quantile(dist[:, 1], quantile)), min_eps)


def deduplicate(
    endpoints: NDArray[np.float64],
    values: NDArray[np.float64],
    n_clusters: int | None = None,
    eps_quantile: float = 0.9,
    min_eps: float = 0.02,
    min_samples: int = 3,
    seed: int = 0,
) -> Deduplicated:
    """Group ascent endpoints into candidate modes.

    Parameters
    ----------
    endpoints : ndarray, shape (n, d)
        Where the climbs stopped.
    values : ndarray, shape (n,)
        φ at the endpoints.
    n_clusters : int or None
        Number of clusters the caller asked for, if any (triggers the fallback when DBSCAN finds
        a single group).
    eps_quantile : float
        Quantile of nearest-neighbour distances used as the DBSCAN radius.
    min_eps : float
        Floor of that radius.
    min_samples : int
        DBSCAN ``min_samples``.
    seed : int
        ``random_state`` of the k-means fallback.

    Returns
    -------
    Deduplicated
    """
    if endpoints.shape[0] < 2:
        groups = np.zeros(len(endpoints), np.int64)
        return Deduplicated(endpoints.copy(), values.copy(), groups, 0.0, "dbscan")
    eps = nn_quantile_eps(endpoints, eps_quantile, min_eps)
    labels = DBSCAN(eps=eps, min_samples=min(min_samples, len(endpoints))).fit_predict(endpoints)
    n_found = len(set(labels.tolist()) - {-1})
    method = "dbscan"
    if n_found == 0 or (n_found == 1 and n_clusters is not None and n_clusters > 1):
        k = n_clusters if n_clusters is not None else choose_k_silhouette(endpoints, seed=seed)[0]
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(endpoints)
        method = "kmeans-fallback"
    groups = np.unique(labels[labels >= 0])
    best = np.array([np.flatnonzero(labels == g)[np.argmax(values[labels == g])] for g in groups])
    modes, mode_values = endpoints[best], values[best]
    assigned = np.searchsorted(groups, labels)
    noise = labels < 0
    if noise.any():
        nearest = NearestNeighbors(n_neighbors=1).fit(modes).kneighbors(endpoints[noise])[1][:, 0]
        assigned[noise] = nearest
    return Deduplicated(modes, mode_values, assigned.astype(np.int64), eps, method)
