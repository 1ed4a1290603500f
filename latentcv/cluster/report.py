"""The clustering report: ``results.json``, ``predictions.npy``, ``comparison.csv``, ``comparison.tex``."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from latentcv.errors import InputError


@dataclass(frozen=True)
class MethodScores:
    """One row of the comparison. Scores that could not be computed (no labels, no augmented
    view) are None.

    Attributes
    ----------
    method : str
        E.g. ``"nmc"``, ``"kmeans-auto"``, ``"kmeans-k2"``.
    n_clusters : int
        Clusters found or used.
    acc, nmi, ari : float or None
        Against the labels.
    stability_aug, stability_assign : float or None
        Stability@Aug and Stability@Assign.
    """

    method: str
    n_clusters: int
    acc: float | None = None
    nmi: float | None = None
    ari: float | None = None
    stability_aug: float | None = None
    stability_assign: float | None = None


#: Column headers of the LaTeX table, per field of MethodScores.
LATEX_HEADERS = {
    "method": "Method",
    "n_clusters": "$k$",
    "acc": "ACC",
    "nmi": "NMI",
    "ari": "ARI",
    "stability_aug": "Stab@Aug",
    "stability_assign": "Stab@Assign",
}


def latex_table(scores: Sequence[MethodScores]) -> str:
    """A ``booktabs`` table (needs ``\\usepackage{booktabs}``) of the rows, scores to 3 decimals,
    missing ones as an en dash, the best value of each score column in bold."""
    names = [f.name for f in fields(MethodScores)]
    best = {
        name: max((getattr(s, name) for s in scores if getattr(s, name) is not None), default=None)
        for name in names[2:]
    }

    def cell(row: MethodScores, name: str) -> str:
        value = getattr(row, name)
        if name == "method":
            return value.replace("_", r"\_")
        if name == "n_clusters":
            return str(value)
        if value is None:
            return "--"
        text = f"{value:.3f}"
        return rf"\textbf{{{text}}}" if value == best[name] else text

    lines = [
        r"\begin{tabular}{l" + "r" * (len(names) - 1) + "}",
        r"\toprule",
        " & ".join(LATEX_HEADERS[n] for n in names) + r" \\",
        r"\midrule",
        *(" & ".join(cell(row, n) for n in names) + r" \\" for row in scores),
        r"\bottomrule",
        r"\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def write_report(
    out_dir: str | Path,
    scores: Sequence[MethodScores],
    predictions: dict[str, NDArray[np.int64]],
    details: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the clustering report into ``out_dir`` (created if missing).

    Parameters
    ----------
    out_dir : str or Path
    scores : sequence of MethodScores
        One row per method.
    predictions : dict[str, ndarray of shape (n_points,)]
        Cluster of every point per method; every method of ``scores`` must have one.
    details : dict, optional
        JSON-ready extras stored under ``"details"`` in results.json (e.g. an NMC summary).

    Returns
    -------
    dict[str, Path]
        ``results``, ``predictions``, ``csv``, ``latex`` → the written files:
        results.json (rows, the row order of predictions.npy, details), predictions.npy
        (int64, shape (n_methods, n_points), rows in the order of ``scores``), comparison.csv,
        comparison.tex.
    """
    methods = [s.method for s in scores]
    missing = [m for m in methods if m not in predictions]
    if missing:
        raise InputError(f"no predictions for {', '.join(missing)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out / "results.json",
        "predictions": out / "predictions.npy",
        "csv": out / "comparison.csv",
        "latex": out / "comparison.tex",
    }
    rows = [asdict(s) for s in scores]
    results = {"methods": rows, "predictions_rows": methods, "details": details or {}}
    paths["results"].write_text(json.dumps(results, indent=2) + "\n")
    np.save(paths["predictions"], np.stack([np.asarray(predictions[m], dtype=np.int64) for m in methods]))
    with paths["csv"].open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(MethodScores)])
        writer.writeheader()
        writer.writerows(rows)
    paths["latex"].write_text(latex_table(scores))
    return paths
