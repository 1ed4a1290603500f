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


def plot_partial_order(path: str | os.PathLike[str], result: dict) -> None:
    """Write a PNG of the partial-order section (:func:`latentcv.report.partial_order.analyse`'s
    ``result``): each quantity's slab means against the crystal fraction with the diagonal, the
    bulk phases' fractions against temperature, and the nuclei counts' excess over the melt against
    the nucleus size with the 3σ line."""
    panels = [p for p in ("slabs", "bulk", "nuclei") if p in result]
    colour = {q: f"C{k}" for k, q in enumerate(result["quantities"])}
    fig = Figure(figsize=(4.4 * len(panels), 3.8))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        if panel == "slabs":
            f = np.array(result["slabs"]["fractions"])
            for q in result["quantities"]:
                r2 = result["slabs"]["linearity"][q]["r2"]
                ax.plot(f, result["slabs"]["means"][q], "o-", color=colour[q], label=f"{q} (R² {r2:.4f})")
            ax.plot([0, 1], [0, 1], "k:", linewidth=1, label="f")
            ax.set_xlabel("crystal fraction f (by construction)")
            ax.set_ylabel("fraction read")
            ax.set_title("slabs")
        elif panel == "bulk":
            for q in result["quantities"]:
                for crystal, marker in ((True, "o"), (False, "s")):
                    rows = [r for r in result["bulk"] if r["crystal"] == crystal and r["temperature"] is not None]
                    rows.sort(key=lambda r: r["temperature"])
                    if rows:
                        ax.plot([r["temperature"] for r in rows], [r["values"][q]["mean"] for r in rows], marker + "-",
                                color=colour[q], label=q if crystal else None)
            ax.set_xlabel("temperature (K)")
            ax.set_ylabel("fraction read (circles crystal, squares melt)")
            ax.set_title("bulk phases")
        else:
            for q, d in result["nuclei"]["detection"].items():
                ax.errorbar(d["sizes"], d["excess"], yerr=d["excess_std"], marker="o", capsize=3, color=colour[q],
                            label=q)
                ax.axhline(3 * d["melt_std"], color=colour[q], linestyle="--", linewidth=1)
            ax.set_xlabel("nucleus size n (molecules)")
            ax.set_ylabel("count − melt's (dashed: 3σ of the melt)")
            ax.set_title(f"nuclei in {result['nuclei']['molecules']} molecules")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
