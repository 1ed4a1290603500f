"""Latents of many frames, the latent map, and how well they separate labelled phases."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.neighbors import NearestCentroid  # noqa: E402

from latentcv.nn.encoder import HierarchicalEncoder  # noqa: E402


def encode_frames(encoder: HierarchicalEncoder, positions: torch.Tensor, boxes: torch.Tensor,
                  batch: int = 16) -> np.ndarray:
    """Configuration latents ``[B, latent_dim]`` of frames ``positions[B, n, 3]``, ``boxes[B, 3, 3]`` (nm)."""
    dtype = next(encoder.parameters()).dtype
    out = []
    with torch.no_grad():
        for k in range(0, positions.shape[0], batch):
            out.append(encoder(positions[k:k + batch].to(dtype), boxes[k:k + batch].to(dtype)).z)
    return torch.cat(out).numpy()


def separation_accuracy(z: np.ndarray, labels: np.ndarray, held_out: np.ndarray) -> float:
    """Accuracy of nearest-centroid classification of held-out labelled frames, with centroids
    from the training frames."""
    train = (~held_out) & (labels >= 0)
    test = held_out & (labels >= 0)
    classifier = NearestCentroid().fit(z[train], labels[train])
    return float((classifier.predict(z[test]) == labels[test]).mean())


def plot_latent(path: str | os.PathLike[str], z: np.ndarray, labels: np.ndarray, label_names: list[str],
                held_out: np.ndarray) -> None:
    """Scatter of the latents' first two principal components, coloured by label; held-out frames
    drawn as open circles."""
    xy = PCA(n_components=2).fit_transform(z) if z.shape[1] > 2 else np.pad(z, ((0, 0), (0, 2 - z.shape[1])))
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    groups = [(k, name) for k, name in enumerate(label_names)] or [(-1, "frames")]
    if label_names and (labels < 0).any():
        groups.append((-1, "unlabelled"))
    for (value, name), colour in zip(groups, plt.cm.tab10.colors):
        for mask, face, suffix in ((~held_out, colour, ""), (held_out, "none", " (held out)")):
            sel = mask & (labels == value)
            if sel.any():
                ax.scatter(xy[sel, 0], xy[sel, 1], s=14, facecolors=face, edgecolors=colour, label=name + suffix)
    ax.set_xlabel("latent PC 1")
    ax.set_ylabel("latent PC 2")
    ax.set_title("configuration latent z")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
