"""Clustering quality: ACC, NMI, ARI against labels, and stability of the assignments.

- ACC: fraction of points whose cluster, under the best one-to-one map cluster → label (Hungarian
  matching, scipy), equals their label.
- NMI, ARI: scikit-learn's ``normalized_mutual_info_score`` and ``adjusted_rand_score``.
- Stability@Aug: the same fitted head assigns the points and an augmented view of them; the
  matched agreement of the two assignments.
- Stability@Assign: two fits that differ only in their seed assign the same points; the matched
  agreement of the two assignments.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from latentcv.cluster.inputs import check_labels, check_points, check_view
from latentcv.cluster.matching import matched_agreement


class ClusterHead(Protocol):
    """What the metrics need of a fitted clustering head: ``predict`` on (n_points, d)."""

    def predict(self, X: ArrayLike) -> NDArray[np.int64]: ...


def label_scores(pred: ArrayLike, labels: ArrayLike) -> dict[str, float]:
    """ACC, NMI and ARI of ``pred`` against ``labels`` (both shape (n_points,)), keyed by name."""
    return {"acc": accuracy(pred, labels), "nmi": nmi(pred, labels), "ari": ari(pred, labels)}


def accuracy(pred: ArrayLike, labels: ArrayLike) -> float:
    """ACC under Hungarian matching; ``pred`` and ``labels`` of shape (n_points,)."""
    return matched_agreement(pred, labels)


def nmi(pred: ArrayLike, labels: ArrayLike) -> float:
    """Normalised mutual information (arithmetic normalisation, scikit-learn's default)."""
    ref = check_labels(labels, len(np.asarray(pred)))
    return float(normalized_mutual_info_score(ref, check_labels(pred, len(ref), "pred")))


def ari(pred: ArrayLike, labels: ArrayLike) -> float:
    """Adjusted Rand index."""
    ref = check_labels(labels, len(np.asarray(pred)))
    return float(adjusted_rand_score(ref, check_labels(pred, len(ref), "pred")))


def stability_at_aug(head: ClusterHead, X: ArrayLike, X_aug: ArrayLike) -> float:
    """Matched agreement of a fitted head's assignments of ``X`` and of ``X_aug``.

    Parameters
    ----------
    head : ClusterHead
        Already fitted.
    X, X_aug : array_like, shape (n_points, d)
        Two views of the same points, same order.

    Returns
    -------
    float
        In [0, 1].
    """
    pts = check_points(X)
    return matched_agreement(head.predict(check_view(pts, X_aug)), head.predict(pts))


def stability_at_assign(pred: ArrayLike, pred_reseeded: ArrayLike) -> float:
    """Matched agreement of two assignments of the same points by fits that differ in their seed.

    Parameters
    ----------
    pred, pred_reseeded : array_like, shape (n_points,)
        Cluster of every point by the first and by the second fit.

    Returns
    -------
    float
        In [0, 1].
    """
    return matched_agreement(pred_reseeded, pred)
