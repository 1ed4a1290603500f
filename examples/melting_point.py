"""The melting point of TIP4P/Ice from interface pinning on the shipped model's crystal_count.

    python examples/melting_point.py [--molecules 288] [--temperatures 250,290] [--ps 4] [--platform auto]

Builds a half-ice, half-water slab (`latentcv simulate --system ice-water-slab`: the ice half
restrained while the rest melts at 450 K, quenched and released at 260 K), exports the shipped
models/ice-water-fast for it, and runs `latentcv melting-point`: a harmonic spring on crystal_count
at each temperature, side by side, and the zero of the fitted Δμ(T). The default takes a few
minutes on a CPU and gives the sign of Δμ, not yet a melting point worth quoting: the study in
docs/melting.md uses 960 molecules, four temperatures and 100 ps per run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import latentcv
from latentcv.commands.export import export_run
from latentcv.commands.melting_point import MeltingPointConfig, run_melting_point

MODEL = Path(__file__).resolve().parent.parent / "models" / "ice-water-fast"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, default=288, help="slab size (default 288)")
    parser.add_argument("--temperatures", default="250,290", help="K, comma-separated (default 250,290)")
    parser.add_argument("--ps", type=float, default=4.0, help="ps per pinning run (default 4)")
    parser.add_argument("--platform", default="auto", help="auto (CUDA, OpenCL, CPU), CUDA, OpenCL, CPU, Reference")
    parser.add_argument("--out", default="examples-out/melting-point", help="output folder")
    args = parser.parse_args()
    out = Path(args.out)
    slab = out / "slab"
    if not (slab / "state.xml").is_file():
        latentcv.simulate(latentcv.RunConfig("ice-water-slab", args.molecules, 260.0, 1.0, 2.0, equilibrate_ps=2.0,
                                             seed=5, platform=args.platform, crystal_fraction=0.5, axis="x"), slab)
    cv = out / "cv"
    if not (cv / "metadata.json").is_file():
        export_run(MODEL, slab / "topology.pdb", cv, heads=("crystal_count",), temperature=270.0)
    config = MeltingPointConfig(str(cv), str(slab), str(out / "pinning"),
                                tuple(float(t) for t in args.temperatures.split(",")), args.ps,
                                equilibrate_ps=args.ps / 4, platform=args.platform)
    result = json.loads(run_melting_point(config, resume=(out / "pinning" / "config.json").is_file()).read_text())
    for run in result["runs"]:
        print(f"{run['temperature_K']:g} K: delta mu = {run['delta_mu_kJ_mol']:+.3f} +- "
              f"{run['standard_error_kJ_mol']:.3f} kJ/mol per molecule (negative: the ice grows against the spring)")
    fit = result["melting_point"]
    print("Tm: " + (f"{fit['tm']:.1f} +- {fit['tm_error']:.1f} K (TIP4P/Ice: about 270 K)" if fit
                    else result["no_melting_point"]))
    print(f"""
Results in {out}:
  pinning/melting_point.png  delta mu against T with error bars, the fitted line and Tm
  pinning/T<K>K/cv_time.png  crystal_count and the spring's energy against time at each temperature:
                             after the first ps, crystal_count should wander about its target, above it
                             below Tm and below it above Tm
  pinning/T<K>K/pin.json     delta mu, its block-averaged error and the settings
Longer runs: python examples/melting_point.py --out {out} --ps {2 * args.ps:g} (each run resumes)""")


if __name__ == "__main__":
    main()
