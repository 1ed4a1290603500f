"""Figures of a metadynamics run: free energy along the CV, and the CV and bias against time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def plot_free_energy(fes: np.ndarray, axes: list[np.ndarray], names: list[str], path: Path) -> None:
    """Free energy (kJ/mol, shifted to a minimum of 0) along one CV, or a map over the first two.

    Parameters
    ----------
    fes : ndarray
        Free energy on the grid, axis k along ``axes[k]``; a third axis is minimised over.
    axes : list of ndarray
        CV values of the grid points per component.
    names : list of str
        Component names.
    path : Path
        PNG file.
    """
    fes = fes - fes.min()
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    if fes.ndim == 1:
        ax.plot(axes[0], fes)
        ax.set_xlabel(names[0])
        ax.set_ylabel("free energy (kJ/mol)")
    else:
        surface = fes.min(axis=tuple(range(2, fes.ndim))) if fes.ndim > 2 else fes
        image = ax.contourf(axes[0], axes[1], surface.T, levels=30)
        fig.colorbar(image, ax=ax, label="free energy (kJ/mol)")
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    ax.set_title("free energy from the well-tempered bias")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_cv_time(colvar: Path, path: Path) -> None:
    """Each column of colvar.csv (CV components, bias) against time, one panel each."""
    data = np.genfromtxt(colvar, delimiter=",", names=True)
    columns = [c for c in data.dtype.names if c != "time_ps"]
    fig = Figure(figsize=(6, 1.8 * len(columns) + 0.6))
    panels = fig.subplots(len(columns), 1, sharex=True, squeeze=False)
    for panel, column in zip(panels[:, 0], columns):
        panel.plot(np.atleast_1d(data["time_ps"]), np.atleast_1d(data[column]), lw=0.8)
        panel.set_ylabel(column)
    panels[-1, 0].set_xlabel("time (ps)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
