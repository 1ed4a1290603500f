"""Helpers shared by the benchmarks: an ice box with the shipped CV exported for it, result files.

The benchmark scripts run as ``python bench/<name>.py`` (so this module is imported as ``_common``
from the script's folder) and write ``<out>/<name>.json`` and ``<out>/<name>.png``, by default into
``bench/results`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import latentcv  # noqa: F401  (torch before openmm)
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)
import torch  # noqa: E402

from latentcv.commands.export import export_run  # noqa: E402
from latentcv.engines.export import PAIR_SKIN  # noqa: E402
from latentcv.systems.ice import build_ice  # noqa: E402
from latentcv.systems.structure import Structure  # noqa: E402

#: The repository checkout.
REPO = Path(__file__).resolve().parents[1]
#: The shipped ice/water model (trained on 288 TIP4P/Ice molecules; exported here for any size).
DEFAULT_MODEL = REPO / "models" / "ice-water"
#: Where results go unless ``--out`` says otherwise (git-ignored).
DEFAULT_OUT = REPO / "bench" / "results"


@dataclass(frozen=True)
class IceCV:
    """An ice Ih box of TIP4P/Ice molecules and the latent CV exported for its particle order.

    Attributes
    ----------
    structure : Structure
        Topology, positions (n_atoms, 3) nm, orthorhombic box; 4 particles per molecule (O, H1, H2,
        and the virtual site M).
    topology : Path
        PDB of the structure (the file the CV was exported for).
    cv_dir : Path
        The exported CV folder (``openmm_cv0.pt`` = progress, ``openmm_cv1.pt`` = off-axis distance).
    """

    structure: Structure
    topology: Path
    cv_dir: Path

    @property
    def n_molecules(self) -> int:
        """Molecules actually built (the nearest ice supercell to the requested count)."""
        return self.structure.n_molecules


def ice_with_cv(
    n_molecules: int, folder: Path, model: Path = DEFAULT_MODEL, seed: int = 1, dtype: str = "float32",
    constrained_bonds: bool = True,
) -> IceCV:
    """Build proton-disordered ice Ih of about ``n_molecules`` molecules and export the CV for it.

    Parameters
    ----------
    n_molecules : int
        Requested molecules; ice supercells come in 16-molecule cells with edges of at least twice
        the nonbonded cutoff, so e.g. 256 gives 288 and 512 gives 576.
    folder : Path
        Where ``topology.pdb`` and the CV folder ``cv/`` are written (created).
    model : Path
        Trained and clustered run folder (``model.pt``, ``heads.json``).
    seed : int
        Seed of the ice's hydrogen-bond network.
    dtype : str
        Precision of the exported OpenMM modules, ``float32`` or ``float64``.
    constrained_bonds : bool
        Export with fixed bonds (``latentcv export --constrained-bonds``): TIP4P/Ice is rigid water.
    """
    return with_cv(build_ice(n_molecules, seed), folder, model, dtype, constrained_bonds=constrained_bonds)


def with_cv(
    structure: Structure, folder: Path, model: Path = DEFAULT_MODEL, dtype: str = "float32",
    pair_skin: float = PAIR_SKIN, constrained_bonds: bool = True,
) -> IceCV:
    """Write ``structure`` as ``folder/topology.pdb`` and export the progress CV of ``model`` for it
    into ``folder/cv`` (parameters as for :func:`ice_with_cv`; ``pair_skin`` in nm as for
    :func:`latentcv.commands.export.export_run`)."""
    folder.mkdir(parents=True, exist_ok=True)
    topology = folder / "topology.pdb"
    structure.write_pdb(topology)
    cv_dir = export_run(model, topology, folder / "cv", heads=("progress",), dtype=dtype, pair_skin=pair_skin,
                        constrained_bonds=constrained_bonds)
    return IceCV(structure, topology, cv_dir)


@dataclass
class Timing:
    """Wall-clock and process CPU seconds of a block (all threads of the process; ``sys_s`` is
    kernel time, e.g. page faults)."""

    wall_s: float = 0.0
    user_s: float = 0.0
    sys_s: float = 0.0

    def __iadd__(self, other: Timing) -> Timing:
        """Add the seconds of ``other`` (blocks timed one after another)."""
        self.wall_s += other.wall_s
        self.user_s += other.user_s
        self.sys_s += other.sys_s
        return self


@contextmanager
def timed() -> Iterator[Timing]:
    """``with timed() as t: ...`` fills ``t`` (a :class:`Timing`) when the block ends."""
    timing = Timing()
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    yield timing
    after = resource.getrusage(resource.RUSAGE_SELF)
    timing.wall_s = time.perf_counter() - start
    timing.user_s = after.ru_utime - before.ru_utime
    timing.sys_s = after.ru_stime - before.ru_stime


def base_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark has: ``--out`` and ``--model``."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for the JSON and PNG (default {DEFAULT_OUT})")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                        help="trained run folder (default: the shipped ice-water model)")
    return parser


def add_bonds_option(parser: argparse.ArgumentParser) -> None:
    """``--constrained-bonds`` / ``--no-constrained-bonds`` for the benchmarks that export the CV."""
    parser.add_argument("--constrained-bonds", action=argparse.BooleanOptionalAction, default=True,
                        help="export the CV with fixed bonds, as for rigid water (latentcv export --constrained-bonds; "
                        "default); --no-constrained-bonds runs the atom stage at every call")


def machine() -> dict[str, Any]:
    """What the numbers were measured on: CPU count, versions, GPU name if any, and the load average
    (other work on the machine slows every benchmark down)."""
    info: dict[str, Any] = {
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch": torch.__version__,
        "latentcv": latentcv.__version__,
        "load_average_1min": os.getloadavg()[0],
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, str]], header: bool = True) -> None:
    """Print ``rows`` as a fixed-width table (``header=False``: without the header line).

    Parameters
    ----------
    rows : sequence of dict
        One dict per row.
    columns : sequence of (key, header, format)
        Which entries to show, their headers and format specs (e.g. ``".2f"``); a missing or None
        entry prints as ``-``.
    """
    widths = [max(len(title), 13) for _, title, _ in columns]
    if header:
        print("  ".join(f"{title:>{w}}" for (_, title, _), w in zip(columns, widths)))
    for row in rows:
        cells = []
        for (key, _, spec), w in zip(columns, widths):
            value = row.get(key)
            cells.append(f"{'-' if value is None else format(value, spec):>{w}}")
        print("  ".join(cells))


def write_json(out: Path, name: str, payload: dict[str, Any]) -> Path:
    """Write ``<out>/<name>.json`` (with :func:`machine` added under ``machine``) and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps({**payload, "machine": machine()}, indent=1) + "\n")
    return path


def new_figure(width: float = 5.5, height: float = 4.0) -> tuple[plt.Figure, plt.Axes]:
    """A figure with one axes (file-only backend), size in inches."""
    return plt.subplots(figsize=(width, height))


def save_figure(fig: plt.Figure, out: Path, name: str) -> Path:
    """Save ``fig`` as ``<out>/<name>.png``, close it and return the path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
