"""Per-molecule phase labels of a trajectory, in a CSV file beside it.

The labels of ``DIR/NAME.EXT`` (a trajectory, or the PDB of a built structure) are in
``DIR/NAME.labels.csv``::

    # latentcv molecule labels: one row per molecule (residue) of the topology, in its order
    # ice-water-slab: crystal fraction 0.5, slab normal z, 250 K (by construction)
    molecule,label
    0,melt
    1,crystal
    ...

``molecule`` counts the topology's residues from 0; ``label`` is a phase label (``crystal`` and
``melt`` for the coexistence systems latentcv builds), the same names that ``FILE:LABEL`` gives whole
trajectories. Lines starting with ``#`` are comments. Every molecule has one row. The labels hold
for every frame of the trajectory: for a coexistence configuration they say which molecules were
held crystalline while the rest melted (:mod:`latentcv.engines.openmm.coexistence`); the interfaces move
little during a run below the melting point.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from latentcv.atomic import write_text_atomic
from latentcv.errors import InputError
from latentcv.readers import reading

HEADER = ("molecule", "label")
SUFFIX = ".labels.csv"


def labels_path(trajectory: str | os.PathLike[str]) -> Path:
    """Where the per-molecule labels of ``trajectory`` are: ``DIR/NAME.labels.csv``."""
    path = Path(trajectory)
    return path.with_name(path.name.split(".")[0] + SUFFIX)


def write_molecule_labels(path: str | os.PathLike[str], labels: list[str], comment: str = "") -> Path:
    """Write one label per molecule (atomically); ``comment`` becomes a ``#`` line."""
    lines = ["# latentcv molecule labels: one row per molecule (residue) of the topology, in its order"]
    lines += [f"# {line}" for line in comment.splitlines() if line]
    lines += [",".join(HEADER)] + [f"{k},{label}" for k, label in enumerate(labels)]
    return write_text_atomic(path, "\n".join(lines) + "\n")


def read_molecule_labels(path: str | os.PathLike[str], n_molecules: int) -> list[str]:
    """The label of each of ``n_molecules`` molecules from a labels file.

    Raises
    ------
    InputError
        When the file does not parse, or does not label each molecule exactly once.
    """
    what = "per-molecule labels (molecule,label CSV)"
    with reading(path, what):
        with open(path, newline="") as handle:
            rows = list(csv.reader(line for line in handle if line.strip() and not line.startswith("#")))
        if tuple(rows[0]) != HEADER:
            raise ValueError(f"the header is {','.join(rows[0])!r}, not {','.join(HEADER)!r}")
        index = np.array([int(row[0]) for row in rows[1:]])
        names = [row[1].strip() for row in rows[1:]]
    if len(index) != n_molecules or not np.array_equal(np.sort(index), np.arange(n_molecules)):
        raise InputError(f"{path} labels {len(index)} molecules, the topology has {n_molecules}: one row per molecule "
                         "(0 .. M-1) is needed")
    if not all(names):
        raise InputError(f"{path} has an empty label")
    labels = [""] * n_molecules
    for k, name in zip(index, names):
        labels[k] = name
    return labels
