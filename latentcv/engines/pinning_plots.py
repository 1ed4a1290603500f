"""Figure of a melting-point estimate: Δμ(T) from pinning runs, the fitted line and Tm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from latentcv.engines.pinning import MeltingPoint


def plot_melting_point(temperatures: np.ndarray, delta_mu: np.ndarray, errors: np.ndarray,
                       fit: MeltingPoint | None, path: Path, title: str) -> None:
    """Δμ (kJ/mol per molecule) against T (K) with error bars, the fitted line and Tm ± its error.

    Parameters
    ----------
    temperatures, delta_mu, errors : ndarray[M]
        K, and Δμ with its standard error, kJ/mol.
    fit : MeltingPoint or None
        The fit (:func:`latentcv.engines.pinning.fit_melting_point`); None draws the points only.
    path : Path
        PNG file.
    title : str
        Figure title (e.g. the CV).
    """
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.errorbar(temperatures, delta_mu, yerr=errors, fmt="o", capsize=3, label="pinning runs")
    if fit is not None:
        span = np.array([min(temperatures.min(), fit.tm), max(temperatures.max(), fit.tm)])
        ax.plot(span, fit.intercept + fit.slope * (span - fit.t_mean), lw=1.2,
                label=f"fit: {fit.slope:.3g} kJ/mol/K")
        ax.errorbar([fit.tm], [0.0], xerr=[fit.tm_error], fmt="s", color="C3", capsize=3,
                    label=f"Tm = {fit.tm:.1f} ± {fit.tm_error:.1f} K")
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("Δμ = μ_crystal − μ_melt (kJ/mol)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
