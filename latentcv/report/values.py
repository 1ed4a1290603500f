"""Per-frame values of one trajectory (CV components, Q6, solid-like molecules) and their table,
``values.csv``."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from latentcv.atomic import atomic_file


@dataclass
class TrajectoryValues:
    """What the report computed on one trajectory.

    Attributes
    ----------
    path : str
        The trajectory file.
    topology : str
        Its topology file.
    label : str
        Phase label of every frame (the crystal or the melt label); ``slab`` or ``nucleus`` for a
        coexistence configuration.
    molecules : int
        Number of molecules of the system: the system size.
    frames : np.ndarray
        Shape ``(F,)``, int64, frame indices in the file.
    cv : np.ndarray
        Shape ``(F, n_cv)``, the exported CV's components (CV units).
    q6 : np.ndarray
        Shape ``(F,)``, Steinhardt Q6 per frame (dimensionless).
    q6_molecules : np.ndarray
        Shape ``(F, M)``, the neighbour-averaged q6 of every molecule (for the count of solid-like
        molecules, :func:`latentcv.report.partial_order.solid_like`).
    temperature : float or None
        K, of the run (from ``config.json`` beside the trajectory, as ``latentcv simulate`` writes
        it), or None.
    crystalline : int or None
        Molecules labelled crystalline in a coexistence configuration (its labels file); None for a
        bulk phase.
    """

    path: str
    topology: str
    label: str
    molecules: int
    frames: np.ndarray
    cv: np.ndarray
    q6: np.ndarray
    q6_molecules: np.ndarray
    temperature: float | None = None
    crystalline: int | None = None


def write_values_csv(path: str | os.PathLike[str], runs: Sequence[TrajectoryValues], names: Sequence[str]) -> None:
    """Write one row per frame: frame, trajectory, label, molecules, each CV component, q6, the run's
    temperature (K) and its labelled crystal molecules (coexistence runs); empty where unknown.

    Parameters
    ----------
    path : path
        CSV file to write (atomically).
    runs : sequence of TrajectoryValues
    names : sequence of str
        Names of the CV components, the columns of ``TrajectoryValues.cv``.
    """
    with atomic_file(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["frame", "trajectory", "label", "molecules", *names, "q6", "temperature_K",
                         "crystalline_molecules"])
        for run in runs:
            extra = ["" if run.temperature is None else f"{run.temperature:g}",
                     "" if run.crystalline is None else run.crystalline]
            for frame, row, q6 in zip(run.frames, run.cv, run.q6):
                writer.writerow([int(frame), run.path, run.label, run.molecules, *(f"{v:.8g}" for v in row),
                                 f"{q6:.8g}", *extra])
