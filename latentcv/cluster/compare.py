"""Neural mode clustering against k-means (k by silhouette, and k fixed) on the same latent points."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentcv.cluster.centroids import KMeansHead
from latentcv.cluster.inputs import check_labels, check_points, check_view
from latentcv.cluster.metrics import ClusterHead, label_scores, stability_at_assign, stability_at_aug
from latentcv.cluster.nmc import NeuralModeClustering, NMCConfig
from latentcv.cluster.report import MethodScores


def score_head(
    method: str,
    head: ClusterHead,
    pred: NDArray[np.int64],
    reseeded: NDArray[np.int64],
    X: NDArray[np.float64],
    labels: NDArray[np.int64] | None,
    X_aug: NDArray[np.float64] | None,
) -> MethodScores:
    """The row of one fitted head: label scores, Stability@Aug (when X_aug is given) and
    Stability@Assign (against ``reseeded``, the assignments of a fit with another seed)."""
    return MethodScores(
        method=method,
        n_clusters=int(len(np.unique(pred))),
        **(label_scores(pred, labels) if labels is not None else {}),
        stability_aug=None if X_aug is None else stability_at_aug(head, X, X_aug),
        stability_assign=stability_at_assign(pred, reseeded),
    )


def compare_heads(
    X: ArrayLike,
    labels: ArrayLike | None = None,
    X_aug: ArrayLike | None = None,
    n_clusters: int | None = None,
    nmc_config: NMCConfig | None = None,
    seed: int = 0,
) -> tuple[list[MethodScores], dict[str, NDArray[np.int64]], NeuralModeClustering]:
    """Fit NMC, k-means with k by silhouette, and k-means with a fixed k; score each.

    Parameters
    ----------
    X : array_like, shape (n_points, d)
    labels : array_like, shape (n_points,), optional
        Reference labels (phases) for ACC, NMI, ARI.
    X_aug : array_like, shape (n_points, d), optional
        Augmented view: used by NMC's invariance term and for Stability@Aug.
    n_clusters : int, optional
        The fixed k of the third method; by default the number of distinct labels, or without
        labels the number of clusters NMC found.
    nmc_config : NMCConfig, optional
        NMC settings (its seed is replaced by ``seed``).
    seed : int
        Seed of every fit; Stability@Assign refits with ``seed + 1``.

    Returns
    -------
    scores : list of MethodScores
        Rows ``nmc``, ``kmeans-auto``, ``kmeans-k{k}``.
    predictions : dict[str, ndarray of shape (n_points,)]
        Cluster of every point per method.
    nmc : NeuralModeClustering
        The fitted NMC head (centres, potential, summary).
    """
    pts = check_points(X)
    ref = None if labels is None else check_labels(labels, pts.shape[0])
    aug = None if X_aug is None else check_view(pts, X_aug)
    config = nmc_config if nmc_config is not None else NMCConfig()
    nmc, nmc_reseeded = (
        NeuralModeClustering(replace(config, seed=s)).fit(pts, aug) for s in (seed, seed + 1)
    )
    if n_clusters is None:
        n_clusters = len(np.unique(ref)) if ref is not None else len(nmc.centres)
    scores, predictions = [], {}
    for method, make in (
        ("nmc", None),
        ("kmeans-auto", lambda s: KMeansHead(seed=s)),
        (f"kmeans-k{n_clusters}", lambda s: KMeansHead(n_clusters=n_clusters, seed=s)),
    ):
        if make is None:
            head, reseeded = nmc, nmc_reseeded.labels_
        else:
            head, reseeded = make(seed).fit(pts), make(seed + 1).fit(pts).labels_
        predictions[method] = head.labels_
        scores.append(score_head(method, head, head.labels_, reseeded, pts, ref, aug))
    return scores, predictions, nmc
