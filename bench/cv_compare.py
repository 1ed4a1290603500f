"""Two models' CV value + gradient per call, alternated in one process: their cost ratio.

Each model (a trained and clustered run folder, e.g. ``models/ice-water-fast`` and an earlier copy
of it) is exported for the same ice Ih box of TIP4P/Ice molecules, as ``bench/cv_cost.py`` does
(the progress CV, float32, ``--constrained-bonds`` unless ``--no-constrained-bonds``, the pair list
kept between calls), and their TorchScript files are called the way openmm-torch calls them,
forward on every particle (float64 positions, as OpenMM's CPU platform passes them) and backward
to the positions, turn about: ``--rounds`` rounds of ``--calls`` calls of each, after a warm-up. The
ratio of the medians is robust to the drift of a shared machine's speed, which hits both models alike.

Prints a table and writes ``<out>/cv_compare.json``::

    .venv/bin/python bench/cv_compare.py --models A B [--molecules 1024] [--rounds 20] [--calls 10]
                                         [--threads 1] [--no-constrained-bonds] [--out bench/results]
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import latentcv  # noqa: F401  (torch before openmm)
import numpy as np
import torch
from _common import add_bonds_option, base_parser, ice_with_cv, print_table, write_json
from cv_cost import time_value_and_gradient

from latentcv.engines.exported import load
from latentcv.engines.openmm.malloc import keep_freed_memory

NAME = "cv_compare"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--models", nargs=2, type=Path, required=True, metavar=("A", "B"),
                        help="the two model folders; the ratio is B's cost over A's")
    parser.add_argument("--molecules", type=int, default=1024, help="ice box size (default 1024)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of alternated calls (default 20)")
    parser.add_argument("--calls", type=int, default=10, help="timed calls of each model per round (default 10)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    add_bonds_option(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    keep_freed_memory()
    with tempfile.TemporaryDirectory() as scratch:
        ices = [ice_with_cv(args.molecules, Path(scratch) / str(k), model, constrained_bonds=args.constrained_bonds)
                for k, model in enumerate(args.models)]
        modules = [torch.jit.load(str(load(ice.cv_dir).openmm_path(0))) for ice in ices]
        positions = torch.tensor(ices[0].structure.positions, dtype=torch.float64)
        box = torch.diag(torch.tensor(ices[0].structure.box, dtype=torch.float64))
        seconds: list[list[float]] = [[], []]
        for module in modules:  # warm-up: the profiling executor's optimised graph
            time_value_and_gradient(module, positions, box, 3, 1)
        for _ in range(args.rounds):
            for k, module in enumerate(modules):
                wall, _ = time_value_and_gradient(module, positions, box, 0, args.calls)
                seconds[k] += wall.tolist()
    medians = [float(np.median(s) * 1e3) for s in seconds]
    rows = [{"model": str(m), "median_ms": t, "min_ms": float(np.min(s) * 1e3)}
            for m, t, s in zip(args.models, medians, seconds)]
    print_table(rows, [("model", "model", ""), ("median_ms", "median ms", ".2f"), ("min_ms", "min ms", ".2f")])
    ratio = medians[1] / medians[0]
    print(f"{ices[0].n_molecules} molecules: {args.models[1]} costs {ratio:.3f} times {args.models[0]} per call")
    payload = {"molecules": ices[0].n_molecules, "rows": rows, "ratio": ratio, "rounds": args.rounds,
               "calls": args.calls, "threads": args.threads}
    write_json(args.out, NAME, payload)
    return payload


if __name__ == "__main__":
    main()
