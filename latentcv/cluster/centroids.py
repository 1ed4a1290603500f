"""Centroid clustering heads: k-means and Gaussian mixtures (scikit-learn), with k chosen by score.

When no k is given, k-means picks the k of the best silhouette and the Gaussian mixture the k of
the lowest BIC over a range of candidate k. Both heads expose ``centres`` (k, d) and
``predict``; the mixture also ``predict_proba``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture

from latentcv.cluster.inputs import check_n_clusters, check_points
from latentcv.errors import InputError


def candidate_ks(k_range: tuple[int, int], n_points: int) -> list[int]:
    """The k of ``k_range`` (inclusive) that the data allow.

    Parameters
    ----------
    k_range : tuple of int
        Smallest and largest k to try.
    n_points : int
        Number of points; k is capped at n_points - 1 (silhouette needs a point to spare).

    Raises
    ------
    InputError
        When no k of the range fits.
    """
    lo, hi = k_range
    ks = list(range(max(lo, 1), min(hi, n_points - 1) + 1))
    if not ks:
        raise InputError(f"no k in {k_range} fits {n_points} points")
    return ks


def choose_k_silhouette(
    X: ArrayLike, k_range: tuple[int, int] = (2, 8), seed: int = 0
) -> tuple[int, dict[int, float]]:
    """The k whose k-means partition has the largest mean silhouette.

    Parameters
    ----------
    X : array_like, shape (n_points, d)
    k_range : tuple of int
        Candidate k, inclusive; k = 1 has no silhouette and is skipped.
    seed : int
        ``random_state`` of every KMeans fit.

    Returns
    -------
    k : int
    scores : dict[int, float]
        Silhouette per candidate k.
    """
    pts = check_points(X)
    scores = {}
    for k in candidate_ks((max(k_range[0], 2), k_range[1]), pts.shape[0]):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(pts)
        scores[k] = float(silhouette_score(pts, labels)) if len(np.unique(labels)) > 1 else -1.0
    return max(scores, key=scores.__getitem__), scores


def choose_k_bic(
    X: ArrayLike, k_range: tuple[int, int] = (1, 8), covariance_type: str = "full", seed: int = 0
) -> tuple[int, dict[int, float]]:
    """The k whose Gaussian mixture has the lowest Bayesian information criterion.

    Parameters
    ----------
    X : array_like, shape (n_points, d)
    k_range : tuple of int
        Candidate k, inclusive.
    covariance_type : str
        As in ``sklearn.mixture.GaussianMixture``.
    seed : int
        ``random_state`` of every fit.

    Returns
    -------
    k : int
    scores : dict[int, float]
        BIC per candidate k (lower is better).
    """
    pts = check_points(X)
    scores = {
        k: float(GaussianMixture(k, covariance_type=covariance_type, random_state=seed).fit(pts).bic(pts))
        for k in candidate_ks(k_range, pts.shape[0])
    }
    return min(scores, key=scores.__getitem__), scores


def resolve_k(
    n_clusters: int | None, pts: NDArray[np.float64], choose: Callable[[], tuple[int, dict[int, float]]]
) -> tuple[int, dict[int, float]]:
    """The given k (checked against the number of points), or ``choose()``'s k and its scores."""
    if n_clusters is None:
        return choose()
    return check_n_clusters(n_clusters, pts.shape[0]), {}


@dataclass
class KMeansHead:
    """k-means on latent points; k by silhouette when ``n_clusters`` is None.

    Parameters
    ----------
    n_clusters : int or None
        Number of clusters, or None to choose it over ``k_range``.
    k_range : tuple of int
        Candidate k (inclusive) for the silhouette choice.
    seed : int
        ``random_state`` of scikit-learn.

    Attributes
    ----------
    centres : ndarray, shape (k, d)
        Cluster centres, after ``fit``.
    labels_ : ndarray, shape (n_points,)
        Cluster of every training point, after ``fit``.
    scores : dict[int, float]
        Silhouette per candidate k (empty when k was given).
    """

    n_clusters: int | None = None
    k_range: tuple[int, int] = (2, 8)
    seed: int = 0

    def fit(self, X: ArrayLike) -> KMeansHead:
        """Fit on ``X`` of shape (n_points, d); returns self."""
        pts = check_points(X)
        k, self.scores = resolve_k(
            self.n_clusters, pts, lambda: choose_k_silhouette(pts, self.k_range, self.seed)
        )
        self._model = KMeans(n_clusters=k, n_init=10, random_state=self.seed).fit(pts)
        self.centres: NDArray[np.float64] = self._model.cluster_centers_
        self.labels_: NDArray[np.int64] = self._model.labels_.astype(np.int64)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """Index of the nearest centre for each row of ``X`` (n_points, d); shape (n_points,)."""
        return self._model.predict(check_points(X)).astype(np.int64)


@dataclass
class GaussianMixtureHead:
    """Gaussian mixture on latent points; k by BIC when ``n_clusters`` is None.

    Parameters
    ----------
    n_clusters : int or None
        Number of components, or None to choose it over ``k_range``.
    k_range : tuple of int
        Candidate k (inclusive) for the BIC choice.
    covariance_type : str
        As in ``sklearn.mixture.GaussianMixture``.
    seed : int
        ``random_state`` of scikit-learn.

    Attributes
    ----------
    centres : ndarray, shape (k, d)
        Component means, after ``fit``.
    labels_ : ndarray, shape (n_points,)
        Most probable component of every training point, after ``fit``.
    scores : dict[int, float]
        BIC per candidate k (empty when k was given).
    """

    n_clusters: int | None = None
    k_range: tuple[int, int] = (1, 8)
    covariance_type: str = "full"
    seed: int = 0

    def fit(self, X: ArrayLike) -> GaussianMixtureHead:
        """Fit on ``X`` of shape (n_points, d); returns self."""
        pts = check_points(X)
        k, self.scores = resolve_k(
            self.n_clusters, pts, lambda: choose_k_bic(pts, self.k_range, self.covariance_type, self.seed)
        )
        self._model = GaussianMixture(k, covariance_type=self.covariance_type, random_state=self.seed)
        self._model.fit(pts)
        self.centres: NDArray[np.float64] = self._model.means_
        self.labels_: NDArray[np.int64] = self.predict(pts)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """Most probable component for each row of ``X`` (n_points, d); shape (n_points,)."""
        return self._model.predict(check_points(X)).astype(np.int64)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Posterior component probabilities, shape (n_points, k), rows summing to 1."""
        return self._model.predict_proba(check_points(X))
