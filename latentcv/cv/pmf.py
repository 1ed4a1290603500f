"""A potential of mean force (PMF) estimate on CV components, read from a file.

Two sources are understood:

- a ``latentcv metad`` run folder: ``fes.npy`` (kJ/mol, axis k along biased component k) and
  ``grid.npz`` (the CV values of each axis under the component's name);
- a CSV file with a header naming the CV components and a last column
  ``free_energy_kJ_mol``, one row per point of a regular grid (1-D: one component column), as
  written by any other free-energy method (umbrella sampling, PLUMED's ``sum_hills`` converted).

Outside its grid the PMF is continued by its value at the nearest edge (no force there).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from latentcv.errors import InputError
from latentcv.readers import reading

ENERGY_COLUMN = "free_energy_kJ_mol"


@dataclass
class PMF:
    """A free energy on a regular grid of CV components.

    Attributes
    ----------
    components : list of str
        Names of the CV components of the grid axes (e.g. ``progress``).
    axes : list of ndarray
        Increasing CV values of each axis.
    values : ndarray
        Free energy, kJ/mol, shape ``[len(axes[0]), len(axes[1]), ...]``.
    source : str
        Where it was read from.
    """

    components: list[str]
    axes: list[np.ndarray]
    values: np.ndarray
    source: str

    def __post_init__(self) -> None:
        shape = tuple(len(a) for a in self.axes)
        if self.values.shape != shape:
            raise InputError(f"the PMF in {self.source} has values of shape {self.values.shape}, its grid {shape}")
        if any(len(a) < 2 or not np.all(np.diff(a) > 0) for a in self.axes):
            raise InputError(f"the PMF grid in {self.source} must have at least two increasing values per axis")
        if not np.isfinite(self.values).all():
            raise InputError(f"the PMF in {self.source} has non-finite free energies")

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Free energy (kJ/mol) at ``points[N, n_components]`` (CV units), linear inside the grid and
        constant beyond its edges; shape ``[N]``."""
        clipped = np.stack([np.clip(points[:, k], a[0], a[-1]) for k, a in enumerate(self.axes)], axis=1)
        return RegularGridInterpolator(self.axes, self.values)(clipped)

    @property
    def span(self) -> float:
        """max − min of the free energy, kJ/mol."""
        return float(self.values.max() - self.values.min())


def _from_metad_folder(folder: Path) -> PMF:
    fes, grid = folder / "fes.npy", folder / "grid.npz"
    if not fes.is_file() or not grid.is_file():
        raise InputError(f"{folder} is not a `latentcv metad` run folder with fes.npy and grid.npz")
    with reading(grid, "grid of a `latentcv metad` free energy (.npz)"):
        with np.load(grid) as axes:
            names = list(axes.files)
            values = [np.asarray(axes[n], dtype=float) for n in names]
    with reading(fes, "`latentcv metad` free energy (.npy)"):
        energies = np.asarray(np.load(fes), dtype=float)
    return PMF(names, values, energies, str(folder))


def _from_csv(path: Path) -> PMF:
    with reading(path, f"PMF CSV (COMPONENT,...,{ENERGY_COLUMN})"):
        with open(path, newline="") as handle:
            rows = list(csv.reader(row for row in handle if not row.startswith("#")))
        header, data = rows[0], np.array(rows[1:], dtype=float)
    if len(header) < 2 or header[-1] != ENERGY_COLUMN or data.ndim != 2 or data.shape[1] != len(header):
        raise InputError(f"{path}: a PMF CSV needs a header 'COMPONENT[,COMPONENT...],{ENERGY_COLUMN}' and rows of "
                         "numbers")
    axes = [np.unique(data[:, k]) for k in range(len(header) - 1)]
    shape = tuple(len(a) for a in axes)
    if int(np.prod(shape)) != len(data):
        raise InputError(f"{path}: the rows are not a full regular grid ({len(data)} rows for axes of {shape} values)")
    index = tuple(np.searchsorted(a, data[:, k]) for k, a in enumerate(axes))
    values = np.empty(shape)
    values[index] = data[:, -1]
    return PMF(header[:-1], axes, values, str(path))


def read_pmf(path: str | os.PathLike[str]) -> PMF:
    """Read a PMF from a ``latentcv metad`` run folder or a CSV file (see the module docstring).

    Raises
    ------
    InputError
        When the file or folder is missing or not in either format.
    """
    source = Path(path)
    if source.is_dir():
        return _from_metad_folder(source)
    if not source.is_file():
        raise InputError(f"PMF not found: {source} (give a `latentcv metad` run folder or a CSV file)")
    return _from_csv(source)
