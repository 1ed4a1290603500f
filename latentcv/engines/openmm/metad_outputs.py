"""Files of a metadynamics run folder: those of every biased run
(:mod:`latentcv.engines.openmm.run_files`: colvar.csv, log.csv, trajectory.dcd, config.json,
state.xml, checkpoint.pt, cv_time.png) and the bias on its grid:

``bias.npy``, ``fes.npy``, ``grid.npz``
    Total bias and free energy (kJ/mol) on the grid, axis k along biased component k; ``grid.npz``
    holds the CV values of each axis under the component's name.
``fes.png``
    The free energy along the biased components.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latentcv.atomic import atomic_file
from latentcv.engines.openmm.bias import ResumableMetadynamics
from latentcv.engines.openmm.opes import ResumableOPES
from latentcv.engines.openmm.run_files import RunFiles


class MetadFiles(RunFiles):
    """Paths of a metadynamics run folder's files (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.bias = folder / "bias.npy"
        self.fes = folder / "fes.npy"
        self.grid = folder / "grid.npz"
        self.fes_png = folder / "fes.png"


def _save_npy(path: Path, array: np.ndarray) -> None:
    """``np.save``, atomically."""
    with atomic_file(path, suffix=".npy") as temporary:
        np.save(temporary, array)


def write_bias_files(files: MetadFiles, metad: ResumableMetadynamics | ResumableOPES, names: list[str]) -> None:
    """Write bias.npy, fes.npy and grid.npz (atomically)."""
    _save_npy(files.bias, metad.bias_grid())
    _save_npy(files.fes, metad.free_energy_grid())
    with atomic_file(files.grid, suffix=".npz") as temporary:
        np.savez(temporary, **dict(zip(names, metad.grid_axes())))
