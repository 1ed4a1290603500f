"""Per-epoch metrics: the ``metrics.csv`` file, the ``loss.png`` figure and the printed table.

The history is a list of rows, one per epoch: ``{"epoch", "lr", "time", "train_<term>",
"valid_<term>"}`` where ``<term>`` runs over the keys of the model's loss dict.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

Row = dict[str, float]

_FIXED = ("epoch", "lr", "time")


def columns(history: Sequence[Row]) -> list[str]:
    """Column names: epoch, lr, time, then each loss term's train and valid columns."""
    seen: dict[str, None] = {}
    for row in history:
        seen.update(dict.fromkeys(k for k in row if k not in _FIXED))
    terms = dict.fromkeys(k.split("_", 1)[1] for k in seen)
    ordered = [f"{split}_{term}" for term in terms for split in ("train", "valid")]
    return [*_FIXED, *(c for c in ordered if c in seen)]


def write_csv(path: str | os.PathLike[str], history: Sequence[Row]) -> Path:
    """Write the whole history to ``path`` (a column missing from a row is left empty)."""
    path = Path(path)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns(history), restval="")
        writer.writeheader()
        writer.writerows(history)
    return path


def plot_losses(path: str | os.PathLike[str], history: Sequence[Row]) -> Path:
    """One panel per loss term with train and valid curves against the epoch, log-scaled y.

    A term with zero or negative values (e.g. a KL estimate) gets a symmetric-log axis instead.
    """
    path = Path(path)
    terms = list(dict.fromkeys(c.split("_", 1)[1] for c in columns(history)[len(_FIXED) :]))
    ncols = min(3, len(terms))
    nrows = math.ceil(len(terms) / ncols)
    fig = Figure(figsize=(4.0 * ncols, 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, term in zip(axes, terms):
        values: list[float] = []
        for split in ("train", "valid"):
            points = [(row["epoch"], row[f"{split}_{term}"]) for row in history if f"{split}_{term}" in row]
            if points:
                ax.plot(*zip(*points), marker="." if len(points) < 30 else None, label=split)
                values += [v for _, v in points]
        ax.set_yscale("log" if values and min(values) > 0 else "symlog")
        ax.set_title(term)
        ax.set_xlabel("epoch")
        ax.legend()
    for ax in axes[len(terms) :]:
        ax.set_visible(False)
    fig.savefig(path, dpi=110)
    return path


def _width(name: str) -> int:
    """Width of a table column: its name's length, at least what its numbers need."""
    return max(len(name), {"epoch": 5, "time": 7}.get(name, 10))


def format_table_header(names: Sequence[str]) -> str:
    """The header line of the per-epoch table printed during training."""
    return "  ".join(f"{name:>{_width(name)}}" for name in names)


def format_table_row(row: Row, names: Sequence[str]) -> str:
    """One line of the per-epoch table: ``names``' values, aligned under the header."""
    cells = []
    for name in names:
        value = row.get(name, math.nan)
        text = f"{int(value)}" if name == "epoch" else f"{value:.1f}" if name == "time" else f"{value:.4e}"
        cells.append(f"{text:>{_width(name)}}")
    return "  ".join(cells)
