"""Validation of the arrays that the clustering heads and metrics accept."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from latentcv.errors import InputError


def check_points(X: ArrayLike, name: str = "X") -> NDArray[np.float64]:
    """Latent points as a finite float64 matrix.

    Parameters
    ----------
    X : array_like, shape (n_points, d)
        One latent vector per row.
    name : str
        How the array is called in error messages.

    Returns
    -------
    ndarray, shape (n_points, d), float64

    Raises
    ------
    InputError
        When X is not two-dimensional, has no rows or columns, or holds NaN or infinity.
    """
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(f"{name} must be a non-empty (n_points, d) array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} holds NaN or infinite values")
    return arr


def check_view(X: NDArray[np.float64], X_aug: ArrayLike) -> NDArray[np.float64]:
    """A second (augmented) view of the same points, in the same order.

    Parameters
    ----------
    X : ndarray, shape (n_points, d)
        The validated first view.
    X_aug : array_like, shape (n_points, d)
        The second view.

    Returns
    -------
    ndarray, shape (n_points, d), float64

    Raises
    ------
    InputError
        When X_aug is invalid or its shape differs from X's.
    """
    aug = check_points(X_aug, "X_aug")
    if aug.shape != X.shape:
        raise InputError(f"X_aug must have the shape of X {X.shape}, got {aug.shape}")
    return aug


def check_labels(labels: ArrayLike, n_points: int, name: str = "labels") -> NDArray[np.int64]:
    """Integer labels, one per point.

    Parameters
    ----------
    labels : array_like, shape (n_points,)
        Integer class or cluster labels.
    n_points : int
        The number of points the labels must cover.
    name : str
        How the array is called in error messages.

    Returns
    -------
    ndarray, shape (n_points,), int64

    Raises
    ------
    InputError
        When the labels are not a 1-D integer array of length n_points.
    """
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n_points:
        raise InputError(f"{name} must have shape ({n_points},), got {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"{name} must be integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def check_n_clusters(k: int, n_points: int) -> int:
    """A cluster count between 1 and the number of points.

    Raises
    ------
    InputError
        When k < 1 or k > n_points.
    """
    if not 1 <= int(k) <= n_points:
        raise InputError(f"the number of clusters must lie in [1, {n_points}] (n_points), got {k}")
    return int(k)
