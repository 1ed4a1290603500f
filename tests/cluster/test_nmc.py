"""Neural mode clustering end to end on three blobs; training terms; reproducibility."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from latentcv.cluster import NeuralModeClustering, NMCConfig, accuracy, compare_heads, match_to_labels
from latentcv.cluster.nmc.potential import PotentialMLP
from latentcv.cluster.nmc.training import TrainingConfig, dsm_loss, invariance_loss
from latentcv.errors import InputError

FAST = NMCConfig(hidden=32, training=TrainingConfig(steps=300))


@pytest.mark.parametrize("invariance", ["gradient-cosine", "endpoint"])
def test_nmc_finds_the_three_blobs(blobs, blob_means, invariance) -> None:
    """Three isotropic blobs (σ = 0.5) four σ-widths apart at least: the Bayes error is below 1e-4
    per point, so any assignment by the right modes scores above 0.97. A centre is a mode of the
    learnt density, not the blob's mean: a mode estimated from 100 points wanders by a fraction of σ
    (by training seed and library build), so it is asked to lie inside its blob, within one σ of the
    blob's mean, and nearer to that mean than to any other blob's."""
    X, y, X_aug = blobs
    config = replace(FAST, training=replace(FAST.training, invariance=invariance))
    nmc = NeuralModeClustering(config).fit(X, X_aug)
    assert len(nmc.centres) == 3
    assert accuracy(nmc.labels_, y) >= 0.97
    sigma = 0.5  # the blobs' standard deviation (conftest.blobs)
    for cluster, label in match_to_labels(nmc.labels_, y).items():
        distances = np.linalg.norm(blob_means - nmc.centres[cluster], axis=1)
        assert distances[label] < sigma and distances.argmin() == label
    assert accuracy(nmc.predict(X_aug), y) >= 0.97
    assert nmc.summary()["n_clusters"] == 3


def test_nmc_is_reproducible_and_honours_a_fixed_count(blobs) -> None:
    X, y, _ = blobs
    a = NeuralModeClustering(FAST).fit(X)
    b = NeuralModeClustering(FAST).fit(X)
    assert np.array_equal(a.labels_, b.labels_) and np.array_equal(a.centres, b.centres)
    two = NeuralModeClustering(replace(FAST, n_clusters=2)).fit(X)
    assert len(two.centres) == 2 and len(np.unique(two.labels_)) == 2
    # The two survivors are the two most persistent modes; the third basin merged into one of them.
    assert accuracy(two.labels_, y) == pytest.approx(2 / 3, abs=0.03)


def test_compare_heads_scores_every_method(blobs) -> None:
    X, y, X_aug = blobs
    scores, predictions, nmc = compare_heads(X, y, X_aug, nmc_config=FAST)
    assert [s.method for s in scores] == ["nmc", "kmeans-auto", "kmeans-k3"]
    for s in scores:
        assert s.acc >= 0.97 and s.stability_aug >= 0.97 and s.stability_assign >= 0.97, s
        assert np.array_equal(predictions[s.method].shape, (300,))
    assert np.array_equal(predictions["nmc"], nmc.labels_)


def test_training_terms_vanish_where_they_should() -> None:
    torch.manual_seed(0)
    phi = PotentialMLP(2, hidden=8).double()
    x = torch.randn(16, 2, dtype=torch.float64)
    for form in ("gradient-cosine", "endpoint"):
        cfg = TrainingConfig(invariance=form)
        assert invariance_loss(phi, x, x, cfg).item() == pytest.approx(0.0, abs=1e-12)
        assert invariance_loss(phi, x, -x, cfg).item() > 1e-4
    # Data all at 0 and one noise scale σ: the noisy density is N(0, σ²I), whose log is
    # φ = −|x|²/(2σ²) up to a constant; score matching is exact there and only there.
    sigma = torch.full((16,), 0.5, dtype=torch.float64)
    noise = torch.randn(16, 2, dtype=torch.float64)
    zeros = torch.zeros(16, 2, dtype=torch.float64)
    assert dsm_loss(_Quadratic(0.25), zeros, sigma, noise).item() < 1e-20
    assert dsm_loss(_Quadratic(1.0), zeros, sigma, noise).item() > 0.1


class _Quadratic(torch.nn.Module):
    """φ(x) = −|x|²/(2v)."""

    def __init__(self, v: float) -> None:
        super().__init__()
        self.v = v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -0.5 * (x**2).sum(-1) / self.v


def test_bad_input_is_refused(blobs) -> None:
    X, _, X_aug = blobs
    with pytest.raises(InputError, match="shape"):
        NeuralModeClustering(FAST).fit(X, X_aug[:-1])
    with pytest.raises(InputError, match="number of clusters"):
        NeuralModeClustering(replace(FAST, n_clusters=0)).fit(X)
    with pytest.raises(InputError, match="invariance"):
        TrainingConfig(invariance="cosine")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="NaN"):
        NeuralModeClustering(FAST).fit(np.full((5, 2), np.inf))
