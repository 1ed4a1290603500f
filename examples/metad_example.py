"""What ``metad_crystal.py`` and ``metad_melt.py`` share: system files for a ready TIP4P/Ice
structure, the CV (given; by default the shipped ``models/ice-water-fast`` exported for the
example's box; an untrained stand-in only on request), the metadynamics run, and what to look at."""

from __future__ import annotations

import argparse
from pathlib import Path

import latentcv  # noqa: F401  (torch before openmm)
import numpy as np

from latentcv.commands.export import export_run
from latentcv.commands.metad import run_metad
from latentcv.commands.metad_config import MetadConfig
from latentcv.cv.untrained import Frame
from latentcv.engines.export import export_untrained_cv
from latentcv.engines.openmm.system_files import write_system_files
from latentcv.systems.forcefields import SIMULATION_DIR
from latentcv.systems.structure import read_pdb

ICE = SIMULATION_DIR / "crystal" / "ice.pdb"
WATER = SIMULATION_DIR / "melt" / "water.pdb"
#: The shipped model the examples bias by default (TIP4P/Ice, the encoder made for biased MD on CPUs).
MODEL = Path(__file__).resolve().parent.parent / "models" / "ice-water-fast"


def parse_args(description: str, out: str) -> argparse.Namespace:
    """Options of both examples."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--ns", type=float, default=0.01, help="length in ns (default 0.01: a few minutes on a CPU)")
    parser.add_argument("--platform", default="auto", help="auto (CUDA, OpenCL, CPU), CUDA, OpenCL, CPU, Reference")
    parser.add_argument("--cv", help=f"exported CV folder (default: {MODEL.parent.name}/{MODEL.name} exported for "
                        "the example's box, its progress biased)")
    parser.add_argument("--untrained", action="store_true",
                        help="bias an UNTRAINED stand-in CV instead (random encoder weights): tries the machinery only")
    parser.add_argument("--temperature", type=float, default=270.0, help="K (default 270, near TIP4P/Ice's Tm)")
    parser.add_argument("--out", default=out, help=f"output folder (default {out})")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    return parser.parse_args()


def _frame(pdb: Path) -> Frame:
    structure = read_pdb(pdb)
    return Frame(structure.positions, np.diag(structure.box))


def run_example(args: argparse.Namespace, start: Path, crystal: bool) -> None:
    """Write system files for ``start`` (NPT at 1 bar), get a CV, run metadynamics, print the results."""
    if args.cv is not None and args.untrained:
        raise SystemExit("give --cv or --untrained, not both")
    out = Path(args.out)
    system_xml, pdb = write_system_files(read_pdb(start), "tip4p-ice.xml", out / "system", pressure_bar=1.0,
                                         temperature_k=args.temperature, anisotropic=crystal)
    if args.cv is not None:
        cv = args.cv
    elif args.untrained:
        print("WARNING: --untrained: biasing an UNTRAINED CV (random encoder weights; progress is 0 at "
              f"{WATER.name} and 1 at {ICE.name} only by construction). The run shows the machinery, "
              "not physics.")
        cv = str(out / "untrained-cv")
        if not (Path(cv) / "metadata.json").is_file():
            export_untrained_cv(pdb, _frame(WATER), _frame(ICE), cv, args.temperature)
    else:
        cv = str(out / "cv")
        if not (Path(cv) / "metadata.json").is_file():
            print(f"exporting {MODEL} for {pdb} into {cv} (progress: the crystal fraction, 0 melt, 1 crystal)")
            export_run(MODEL, pdb, cv, heads=("progress",), temperature=args.temperature)
    config = MetadConfig(
        system_xml=str(system_xml), pdb=str(pdb), cv=cv, out=str(out / "metad"), temperature=args.temperature,
        ns=args.ns, pace=250, platform=args.platform, report_interval=250,
        checkpoint_interval=2500,
    )
    files = run_metad(config, resume=args.resume)
    script = "examples/" + ("metad_crystal.py" if crystal else "metad_melt.py")
    again = ["python", script, "--out", str(out), "--ns", str(2 * args.ns), "--resume"]
    again += ["--cv", args.cv] if args.cv else ["--untrained"] if args.untrained else []
    print(f"""
Results in {files.folder}:
  cv_time.png     the CV (progress: 0 melt, 1 crystal) and the bias against time: the bias should
                  push the CV away from where it started; a crossing to the other state needs ns.
  fes.png         free energy along the CV, -(T+dT)/dT x bias (well-tempered): converged only after
                  several crossings; in a short run it mirrors the hills near the start.
  colvar.csv      time, CV, bias; log.csv: temperature, potential energy, density, ns/day.
  trajectory.dcd  frames with {pdb} as topology (e.g. in VMD or MDTraj).
Continue with: {' '.join(again)}""")
