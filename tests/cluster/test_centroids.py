"""k-means and Gaussian-mixture heads, the choice of k, and naming clusters after phases."""

from __future__ import annotations

import numpy as np
import pytest

from latentcv.cluster import GaussianMixtureHead, KMeansHead, match_to_labels, name_centres
from latentcv.cluster.centroids import choose_k_bic, choose_k_silhouette
from latentcv.errors import InputError


def test_k_is_chosen_right_on_three_blobs(blobs) -> None:
    X, _, _ = blobs
    assert choose_k_silhouette(X, (2, 6))[0] == 3
    assert choose_k_bic(X, (1, 6))[0] == 3


@pytest.mark.parametrize("head_type", [KMeansHead, GaussianMixtureHead])
def test_heads_find_the_blob_centres(blobs, blob_means, head_type) -> None:
    X, y, _ = blobs
    head = head_type(seed=0).fit(X)
    mapping = match_to_labels(head.labels_, y)
    assert head.centres.shape == (3, 2)
    for cluster, label in mapping.items():
        assert np.linalg.norm(head.centres[cluster] - blob_means[label]) < 0.15
    assert np.array_equal(head.predict(X), head.labels_)


def test_mixture_probabilities_are_normalised(blobs) -> None:
    X, _, _ = blobs
    proba = GaussianMixtureHead(n_clusters=3).fit(X).predict_proba(X)
    assert proba.shape == (300, 3) and np.allclose(proba.sum(axis=1), 1.0)


def test_hungarian_matching_names_crystal_and_melt() -> None:
    rng = np.random.default_rng(3)
    melt, crystal = np.array([0.0, 0.0, 0.0]), np.array([2.0, 1.0, -1.0])
    phase = np.r_[np.zeros(80, int), np.ones(120, int)]  # 0 melt, 1 crystal
    Z = np.where(phase[:, None] == 1, crystal, melt) + 0.3 * rng.standard_normal((200, 3))
    head = KMeansHead(n_clusters=2, seed=5).fit(Z)
    named = name_centres(head.centres, match_to_labels(head.labels_, phase), {0: "melt", 1: "crystal"})
    assert np.linalg.norm(named["crystal"] - crystal) < 0.1
    assert np.linalg.norm(named["melt"] - melt) < 0.1


def test_matching_is_the_best_permutation_not_the_majority_vote() -> None:
    # Cluster 7 is mostly label 0, but giving it label 1 and cluster 3 label 0 gets more right.
    pred = np.array([7, 7, 7, 7, 3, 3, 3, 5])
    labels = np.array([0, 0, 1, 1, 0, 0, 0, 2])
    assert match_to_labels(pred, labels) == {7: 1, 3: 0, 5: 2}


def test_bad_input_is_refused(blobs) -> None:
    X, _, _ = blobs
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        KMeansHead(n_clusters=2).fit(bad)
    with pytest.raises(InputError, match="number of clusters"):
        GaussianMixtureHead(n_clusters=301).fit(X)
    with pytest.raises(InputError, match="shape"):
        match_to_labels(np.zeros(5, int), np.zeros(4, int))
