"""Clustering heads on the latent space: k-means, Gaussian mixtures, neural mode clustering.

The heads work on plain arrays of latent points, shape (n_points, d): configuration latents z or
per-molecule latents h_i. ``compare_heads`` and ``write_report`` score them against labels and
write the report files.
"""

from latentcv.cluster.centroids import GaussianMixtureHead, KMeansHead, choose_k_bic, choose_k_silhouette
from latentcv.cluster.compare import compare_heads
from latentcv.cluster.matching import match_to_labels, matched_agreement, name_centres
from latentcv.cluster.metrics import accuracy, ari, label_scores, nmi, stability_at_assign, stability_at_aug
from latentcv.cluster.nmc import NeuralModeClustering, NMCConfig
from latentcv.cluster.report import MethodScores, write_report

__all__ = [
    "GaussianMixtureHead",
    "KMeansHead",
    "MethodScores",
    "NMCConfig",
    "NeuralModeClustering",
    "accuracy",
    "ari",
    "choose_k_bic",
    "choose_k_silhouette",
    "compare_heads",
    "label_scores",
    "match_to_labels",
    "matched_agreement",
    "name_centres",
    "nmi",
    "stability_at_assign",
    "stability_at_aug",
    "write_report",
]
