"""Histogram figure of one system size: a panel per quantity, crystal and melt frames overlaid."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from latentcv.report.separation import Separation

CRYSTAL_COLOUR = "tab:blue"
MELT_COLOUR = "tab:red"


def plot_histograms(
    path: str | os.PathLike[str],
    title: str,
    samples: Mapping[str, tuple[np.ndarray, np.ndarray]],
    scores: Mapping[str, Separation],
    labels: tuple[str, str] = ("crystal", "melt"),
    bins: int = 50,
) -> None:
    """Write a PNG with one density histogram panel per quantity.

    Parameters
    ----------
    path : path
        PNG file to write.
    title : str
        Figure title (e.g. the system size).
    samples : mapping
        Quantity name -> (crystal values (n_c,), melt values (n_m,)), in the quantity's units.
    scores : mapping
        Quantity name -> its :class:`Separation` (threshold, accuracy, overlap in the panel title).
    labels : tuple of str
        Legend names of the crystal and the melt frames.
    bins : int
        Bins of the shared grid of each panel.
    """
    n = len(samples)
    fig = Figure(figsize=(3.8 * n, 3.4))
    axes = fig.subplots(1, n, squeeze=False)
    for ax, (name, (crystal, melt)) in zip(axes[0], samples.items()):
        edges = np.histogram_bin_edges(np.concatenate([crystal, melt]), bins=bins)
        ax.hist(crystal, bins=edges, density=True, alpha=0.6, color=CRYSTAL_COLOUR, label=labels[0])
        ax.hist(melt, bins=edges, density=True, alpha=0.6, color=MELT_COLOUR, label=labels[1])
        score = scores[name]
        if edges[0] <= score.threshold.value <= edges[-1]:
            ax.axvline(score.threshold.value, color="k", linestyle="--", linewidth=1, label="best threshold")
        ax.set_title(f"{name}\nacc {score.threshold.accuracy:.3f}, overlap {score.overlap:.3f}", fontsize=10)
        ax.set_xlabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(4))  # few ticks: values like 0.00104 stay legible
        ax.set_ylabel("density")
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
