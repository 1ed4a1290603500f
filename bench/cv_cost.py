"""CV value + gradient time against system size: the exported latent CV on ice boxes of 256-8,192 molecules.

For each requested size an ice Ih box of TIP4P/Ice molecules is built (the nearest supercell of
16-molecule cells: 256 gives 288, 512 gives 576, 2,048 gives 2,000, 4,096 gives 4,032), the shipped
ice-water model is exported for it (``openmm_cv0.pt``, the progress CV, float32), and the
TorchScript file is timed the way openmm-torch calls it: forward on the positions of every particle
(virtual sites included; float64 on the CPU, as OpenMM's CPU platform passes them, float32 on CUDA,
as mixed precision does) and the box vectors, then backward to the positions. The time is the median
of ``--repeats`` calls after ``--warmup`` calls (TorchScript's profiling executor switches to an
optimised graph after the first calls).

The CV's molecular graph uses the dense O(N^2) neighbour search up to ``DENSE_MAX_POINTS``
molecules and the O(N) cell list above (:mod:`latentcv.geometry.neighbours`); the table says which.
The exported modules keep their pairs between calls (a Verlet list, ``latentcv export --pair-skin``)
and the repeated calls here reuse them, as MD steps between two searches do; the column "searching
ms" times the same CV exported with ``--pair-skin 0``, which searches in every call. TIP4P/Ice is rigid
water, so the CV is exported with fixed bonds (``latentcv export --constrained-bonds``: stage 1
computed once) unless ``--no-constrained-bonds`` is given.
The scaling ratio t(largest)/t(1,024) should stay near the molecule ratio (8 for 8,192/1,024; the
target is at most 10). On the CPU, torch runs with ``--threads`` threads (default 1) and glibc's
malloc keeps freed memory (:func:`latentcv.engines.openmm.malloc.keep_freed_memory`), as ``latentcv metad``
runs it next to OpenMM's CPU platform; CUDA is timed too when torch sees a GPU.

Prints a table and writes ``<out>/cv_cost.json`` and ``<out>/cv_cost.png``::

    .venv/bin/python bench/cv_cost.py [--sizes 256 512 1024 2048 4096 8192] [--repeats 10] [--warmup 3]
                                      [--devices cpu cuda] [--threads 1] [--no-constrained-bonds]
                                      [--out bench/results]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import latentcv  # noqa: F401  (torch before openmm)
import numpy as np
import torch
from _common import IceCV, add_bonds_option, base_parser, new_figure, print_table, save_figure, with_cv, write_json

from matplotlib.ticker import NullFormatter

from latentcv.engines.exported import load
from latentcv.engines.openmm.malloc import keep_freed_memory
from latentcv.geometry.neighbours import DENSE_MAX_POINTS, uses_cell_list
from latentcv.systems.ice import build_ice

NAME = "cv_cost"
#: Reference size of the scaling ratio, and the largest size of the issue's target.
REFERENCE_MOLECULES, TARGET_MOLECULES, TARGET_RATIO = 1024, 8192, 10.0


def default_devices() -> list[str]:
    """``cpu``, and ``cuda`` when torch sees a GPU."""
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_value_and_gradient(
    module: torch.jit.ScriptModule, positions: torch.Tensor, box: torch.Tensor, warmup: int, repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock and process CPU seconds of each of ``repeats`` forward + backward calls, after
    ``warmup`` untimed calls. On a busy machine the CPU time is the steadier of the two (with one
    torch thread it equals the wall time on an idle one).

    Parameters
    ----------
    module : torch.jit.ScriptModule
        ``forward(positions[N, 3], box[3, 3]) -> scalar`` (an exported ``openmm_cv<k>.pt``).
    positions : torch.Tensor
        Shape (N, 3), nm, every particle, on the device to time.
    box : torch.Tensor
        Shape (3, 3), nm, box vectors as rows, same device and dtype.
    """
    wall, cpu = [], []
    for k in range(warmup + repeats):
        x = positions.detach().clone().requires_grad_(True)
        _synchronise(x.device)
        start, start_cpu = time.perf_counter(), time.process_time()
        module(x, box).backward()
        _synchronise(x.device)
        if k >= warmup:
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return np.array(wall), np.array(cpu)


def measure(ice: IceCV, searching: IceCV, device: str, warmup: int, repeats: int) -> dict[str, Any]:
    """One table row: the exported progress CV of ``ice`` timed on ``device``, and the same CV
    exported without a kept pair list (``searching``: a neighbour search in every call)."""
    where = torch.device(device)
    dtype = torch.float64 if where.type == "cpu" else torch.float32
    cv = load(ice.cv_dir)
    module = torch.jit.load(str(cv.openmm_path(0)), map_location=where)
    positions = torch.tensor(ice.structure.positions, dtype=dtype, device=where)
    box = torch.diag(torch.tensor(ice.structure.box, dtype=dtype, device=where))
    seconds, cpu_seconds = time_value_and_gradient(module, positions, box, warmup, repeats)
    searched = torch.jit.load(str(load(searching.cv_dir).openmm_path(0)), map_location=where)
    search_seconds, _ = time_value_and_gradient(searched, positions, box, warmup, repeats)
    cell_list = uses_cell_list(ice.n_molecules, box.double().cpu(), float(cv.metadata["cutoff_nm"]))
    return {
        "device": device,
        "molecules": ice.n_molecules,
        "particles": int(positions.shape[0]),
        "neighbours": "cell list" if cell_list else "dense",
        "median_ms": float(np.median(seconds) * 1e3),
        "min_ms": float(seconds.min() * 1e3),
        "cpu_ms": float(np.median(cpu_seconds) * 1e3),
        "search_ms": float(np.median(search_seconds) * 1e3),
        "us_per_molecule": float(np.median(seconds) * 1e6 / ice.n_molecules),
    }


def scaling(rows: Sequence[dict[str, Any]], device: str) -> dict[str, Any] | None:
    """t(largest)/t(reference) on ``device``, the reference being 1,024 molecules when measured
    and smaller than the largest, else the smallest size; None with fewer than two sizes."""
    mine = sorted((r for r in rows if r["device"] == device), key=lambda r: r["molecules"])
    if len(mine) < 2:
        return None
    largest = mine[-1]
    reference = next((r for r in mine[:-1] if r["molecules"] == REFERENCE_MOLECULES), mine[0])
    result = {
        "from_molecules": reference["molecules"],
        "to_molecules": largest["molecules"],
        "ratio": largest["median_ms"] / reference["median_ms"],
        "cpu_ratio": largest["cpu_ms"] / reference["cpu_ms"],
        "linear_ratio": largest["molecules"] / reference["molecules"],
    }
    if (reference["molecules"], largest["molecules"]) == (REFERENCE_MOLECULES, TARGET_MOLECULES):
        result["target_max"] = TARGET_RATIO
    return result


def plot(rows: Sequence[dict[str, Any]], model: str, out: Path) -> Path:
    """Time against molecules (log-log) per device for ``model``, with a linear-scaling guide."""
    fig, ax = new_figure()
    for device in dict.fromkeys(r["device"] for r in rows):
        mine = sorted((r for r in rows if r["device"] == device), key=lambda r: r["molecules"])
        n = np.array([r["molecules"] for r in mine])
        t = np.array([r["median_ms"] for r in mine])
        line = ax.plot(n, t, "o-", label=device)[0]
        ax.plot(n, t[0] * n / n[0], ":", color=line.get_color(), label=f"{device}, linear from {n[0]}")
        for r in mine:
            if r["neighbours"] == "cell list":
                ax.plot(r["molecules"], r["median_ms"], "s", mfc="none", ms=11, color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    sizes = sorted({r["molecules"] for r in rows})
    ax.set_xticks(sizes, [str(n) for n in sizes], fontsize=8)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("TIP4P/Ice molecules")
    ax.set_ylabel("CV value + gradient (ms)")
    ax.set_title(f"{model} CV cost (squares: cell list, > {DENSE_MAX_POINTS} molecules)", fontsize=9)
    ax.legend(fontsize=8)
    return save_figure(fig, out, NAME)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = base_parser(__doc__)
    add_bonds_option(parser)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096, 8192],
                        help="requested molecules per box (the nearest ice supercell is built)")
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per size and device")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first")
    parser.add_argument("--devices", nargs="+", default=default_devices(),
                        help="torch devices (default: cpu, and cuda when present)")
    parser.add_argument("--release-memory", action="store_true",
                        help="leave glibc's malloc at its defaults (latentcv metad keeps freed memory on the CPU)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads on the CPU (default 1, as next to OpenMM)")
    return parser.parse_args(argv)


COLUMNS = [("device", "device", "s"), ("requested", "requested", "d"), ("molecules", "molecules", "d"),
           ("neighbours", "neighbours", "s"), ("median_ms", "median ms", ".1f"), ("min_ms", "min ms", ".1f"),
           ("cpu_ms", "cpu ms", ".1f"), ("search_ms", "searching ms", ".1f"), ("us_per_molecule", "us/molecule", ".1f"),
           ("setup_s", "setup s", ".1f")]


def print_row(row: dict[str, Any], header: bool) -> None:
    """Print one row of the table as soon as it is measured (with the header before the first)."""
    print_table([row], COLUMNS, header=header)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; return what was written to ``cv_cost.json``."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    kept = not args.release_memory and keep_freed_memory()
    rows: list[dict[str, Any]] = []
    built: set[int] = set()
    with tempfile.TemporaryDirectory(prefix="latentcv-cv-cost-") as work:
        for size in args.sizes:
            started = time.perf_counter()
            structure = build_ice(size, seed=1)
            if structure.n_molecules in built:
                continue  # two requests that give the same supercell
            built.add(structure.n_molecules)
            ice = with_cv(structure, Path(work) / f"ice{size}", args.model, constrained_bonds=args.constrained_bonds)
            searching = with_cv(structure, Path(work) / f"ice{size}-searching", args.model, pair_skin=0.0,
                                constrained_bonds=args.constrained_bonds)
            setup = time.perf_counter() - started
            for device in args.devices:
                row = measure(ice, searching, device, args.warmup, args.repeats)
                rows.append({"requested": size, **row, "setup_s": setup})
                print_row(rows[-1], header=len(rows) == 1)
    payload = {
        "benchmark": NAME,
        "what": "exported progress CV (openmm_cv0.pt, float32 inside), forward + backward, median over repeats; "
                "median_ms with the molecular pair list kept between calls (MD between pair searches), search_ms "
                "exported with --pair-skin 0 (a neighbour search in every call)",
        "model": str(args.model),
        "threads": args.threads,
        "constrained_bonds": args.constrained_bonds,
        "keep_freed_memory": kept,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "dense_max_points": DENSE_MAX_POINTS,
        "rows": rows,
        "scaling": {device: scaling(rows, device) for device in args.devices},
    }
    for device, result in payload["scaling"].items():
        if result is not None:
            target = f", target <= {result['target_max']:g}" if "target_max" in result else ""
            print(f"{device}, model {args.model.name}: t({result['to_molecules']})/t({result['from_molecules']}) = "
                  f"{result['ratio']:.2f} wall, "
                  f"{result['cpu_ratio']:.2f} cpu (linear {result['linear_ratio']:.2f}{target})")
    write_json(args.out, NAME, payload)
    plot(rows, args.model.name, args.out)
    return payload


if __name__ == "__main__":
    main()
