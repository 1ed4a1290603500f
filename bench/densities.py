"""Densities of the example systems from short NPT runs, next to published values.

Usage: ``python bench/densities.py [--ps 20] [--equilibrate 20] [--platform auto] [--out DIR]``.
Prints a Markdown table: mean density (g/cm3) over the production, its standard deviation over the
logged frames, the published value, and the run speed (ns/day). Short runs on small boxes: expect
differences of about 0.01 g/cm3 from finite size, cutoff and sampling alone.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np

from latentcv.commands.simulate import RunConfig, simulate

#: (system, molecules, temperature K, published density g/cm3, source)
CASES = (
    ("ice", 288, 270.0, 0.906, "TIP4P/Ice ice Ih, 270 K, 1 bar (Abascal et al. 2005)"),
    ("water", 288, 270.0, 0.993, "TIP4P/Ice liquid, 270 K, 1 bar (Abascal et al. 2005; Vega et al.)"),
    ("urea-crystal", 128, 300.0, 1.323, "urea form I, room temperature, experiment (X-ray cell a=0.5661, c=0.4712 nm)"),
)


def mean_density(log_csv: Path) -> tuple[float, float]:
    """Mean and standard deviation (g/cm3) of the density column of a run's ``log.csv``."""
    with open(log_csv, newline="") as handle:
        values = np.array([float(row["density_g_cm3"]) for row in csv.DictReader(handle)])
    return float(values.mean()), float(values.std())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ps", type=float, default=20.0, help="production per system (ps)")
    parser.add_argument("--equilibrate", type=float, default=20.0, help="NPT equilibration per system (ps)")
    parser.add_argument("--platform", default="auto")
    parser.add_argument("--out", default=None, help="keep the run folders here (default: a temporary folder)")
    args = parser.parse_args()
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="latentcv-densities-"))
    print(f"equilibration {args.equilibrate:g} ps, production {args.ps:g} ps, frames every 0.5 ps\n")
    print("| system | molecules | T (K) | density (g/cm3) | published | ns/day | reference |")
    print("|---|---|---|---|---|---|---|")
    for system, molecules, temperature, published, source in CASES:
        config = RunConfig(
            system, molecules, temperature, 1.0, args.ps, equilibrate_ps=args.equilibrate, frame_ps=0.5,
            platform=args.platform,
        )
        started = time.perf_counter()
        files = simulate(config, root / system, progress=False)
        elapsed = time.perf_counter() - started
        mean, std = mean_density(files.log)
        speed = (args.ps + args.equilibrate) / elapsed * 86.4
        print(f"| {system} | {molecules} | {temperature:g} | {mean:.3f} ± {std:.3f} | {published} | {speed:.0f} "
              f"| {source} |")


if __name__ == "__main__":
    main()
