"""Latents of many frames, the latent map, and how well they separate labelled phases."""

from __future__ import annotations

import os

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestCentroid

from latentcv.nn.encoder import HierarchicalEncoder


def encode_frames(encoder: HierarchicalEncoder, positions: torch.Tensor, boxes: torch.Tensor,
                  batch: int = 16, per_molecule: bool = False):  # type: ignore[no-untyped-def]
    """Configuration latents ``z[B, latent_dim]`` of frames ``positions[B, n, 3]``, ``boxes[B, 3, 3]``
    (nm); with ``per_molecule`` also the molecule latents ``h[B, M, node_dim]`` and the logits of the
    per-molecule crystallinity ``c[B, M]`` (``[B, 0]`` without that readout): ``(z, h, c)``."""
    dtype = next(encoder.parameters()).dtype
    zs, hs, cs = [], [], []
    n_mol = encoder.species.shape[0]
    with torch.no_grad():
        for k in range(0, positions.shape[0], batch):
            out = encoder(positions[k:k + batch].to(dtype), boxes[k:k + batch].to(dtype))
            zs.append(out.z)
            if per_molecule:
                hs.append(out.h.reshape(-1, n_mol, out.h.shape[-1]))
                cs.append(out.crystallinity.reshape(len(out.z), -1))
    z = torch.cat(zs).numpy()
    return (z, torch.cat(hs).numpy(), torch.cat(cs).numpy()) if per_molecule else z


def separation_accuracy(z: np.ndarray, labels: np.ndarray, held_out: np.ndarray) -> float:
    """Accuracy of nearest-centroid classification of held-out labelled frames, with centroids
    from the training frames."""
    train = (~held_out) & (labels >= 0)
    test = held_out & (labels >= 0)
    classifier = NearestCentroid().fit(z[train], labels[train])
    return float((classifier.predict(z[test]) == labels[test]).mean())


def plot_latent(path: str | os.PathLike[str], z: np.ndarray, labels: np.ndarray, label_names: list[str],
                held_out: np.ndarray, centres: dict[str, np.ndarray] | None = None) -> None:
    """Scatter of the latents' first two principal components, coloured by label; held-out frames
    drawn as open circles; ``centres`` (name -> latent point) marked with crosses."""
    if z.shape[1] > 2:
        pca = PCA(n_components=2).fit(z)
        project = pca.transform
    else:
        def project(points: np.ndarray) -> np.ndarray:
            return np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
    xy = project(z)
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    groups = [(k, name) for k, name in enumerate(label_names)] or [(-1, "frames")]
    if label_names and (labels < 0).any():
        groups.append((-1, "unlabelled"))
    for (value, name), colour in zip(groups, matplotlib.colormaps["tab10"].colors):
        for mask, face, suffix in ((~held_out, colour, ""), (held_out, "none", " (held out)")):
            sel = mask & (labels == value)
            if sel.any():
                ax.scatter(xy[sel, 0], xy[sel, 1], s=14, facecolors=face, edgecolors=colour, label=name + suffix)
    for (name, centre), colour in zip((centres or {}).items(), ("black", "dimgray", "gray")):
        cx, cy = project(centre[None])[0]
        ax.scatter([cx], [cy], marker="X", s=120, c=colour, label=name)
    ax.set_xlabel("latent PC 1")
    ax.set_ylabel("latent PC 2")
    ax.set_title("configuration latent z")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
