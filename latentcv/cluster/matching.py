"""Hungarian matching of cluster labels to reference labels (phases, or a second clustering)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix

from latentcv.cluster.inputs import check_labels


def _assign(pred: ArrayLike, labels: ArrayLike) -> tuple[dict[int, int], float]:
    """The best one-to-one map cluster → label and the fraction of points it gets right."""
    pred_arr = check_labels(pred, np.asarray(pred).shape[0], "pred")
    ref = check_labels(labels, pred_arr.shape[0])
    clusters, pred_idx = np.unique(pred_arr, return_inverse=True)
    classes, ref_idx = np.unique(ref, return_inverse=True)
    table = contingency_matrix(ref_idx, pred_idx)  # (n_classes, n_clusters)
    rows, cols = linear_sum_assignment(table, maximize=True)
    mapping = {int(clusters[c]): int(classes[r]) for r, c in zip(rows, cols)}
    return mapping, float(table[rows, cols].sum() / pred_arr.shape[0])


def match_to_labels(pred: ArrayLike, labels: ArrayLike) -> dict[int, int]:
    """The one-to-one map cluster → label that maximises the number of agreeing points.

    Solved as a linear assignment (``scipy.optimize.linear_sum_assignment``) on the contingency
    table. With more clusters than labels, the surplus clusters stay unmapped (absent from the
    result); with fewer, some labels get no cluster.

    Parameters
    ----------
    pred : array_like, shape (n_points,)
        Cluster index of every point.
    labels : array_like, shape (n_points,)
        Reference label (e.g. phase: 0 melt, 1 crystal) of every point.

    Returns
    -------
    dict[int, int]
        Cluster value → label value.
    """
    return _assign(pred, labels)[0]


def matched_agreement(pred: ArrayLike, labels: ArrayLike) -> float:
    """Fraction of points whose cluster maps to their label under the best one-to-one map.

    Parameters
    ----------
    pred, labels : array_like, shape (n_points,)
        Two labellings of the same points.

    Returns
    -------
    float
        In [0, 1]; points in clusters left unmapped count as disagreeing.
    """
    return _assign(pred, labels)[1]


def name_centres(
    centres: NDArray[np.float64], mapping: dict[int, int], names: dict[int, str]
) -> dict[str, NDArray[np.float64]]:
    """Centres keyed by phase name, e.g. ``{"crystal": c1, "melt": c0}``.

    Parameters
    ----------
    centres : ndarray, shape (k, d)
        Row c is the centre of cluster c.
    mapping : dict[int, int]
        Cluster → label, from :func:`match_to_labels`.
    names : dict[int, str]
        Label → phase name.

    Returns
    -------
    dict[str, ndarray of shape (d,)]
        The centre of the cluster matched to each named label that has one.
    """
    return {names[label]: centres[cluster] for cluster, label in mapping.items() if label in names}
