"""`make demo`: the latentcv pipeline end to end on small built-in data, on a 2-core CPU in minutes.

Each stage runs the public command line, as a user would, and prints where its results are:
engine check; MD of 288 TIP4P/Ice molecules (the package's own force field and structures) as ice Ih
and as liquid water at two temperatures each, on both sides of the melting point, and of a slab of
ice in water (half crystal, the rest melted around it, with per-molecule labels); training of the
hierarchical autoencoder with its per-molecule crystallinity; clustering into crystal and melt
basins; export of the progress and crystal_count CVs for OpenMM and PLUMED; evaluation of the
exported file on the phases and on a held-out slab of another crystal fraction and temperature
(progress reads the crystal fraction); and a short well-tempered metadynamics run biasing the
learnt CV from the melt. The data are far too short for science; they show every step working.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

LATENTCV = [sys.executable, "-m", "latentcv.cli"]
#: A small model that trains in about a minute on a 2-core CPU.
CONFIG = Path(__file__).with_name("demo_config.yaml")


def stage(title: str, argv: list[str], log: Path) -> None:
    """Run ``latentcv ARGV``, tee its output to ``log`` and stop the demo if it fails."""
    print(f"\n== {title}: latentcv {' '.join(argv)}", flush=True)
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen([*LATENTCV, *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            out.write(line)
    if proc.wait() != 0:
        sys.exit(f"demo: stage '{title}' failed (exit {proc.returncode}); see {log}")
    print(f"-- {title} done in {time.perf_counter() - start:.0f} s; output in {log}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo"), help="folder for everything the demo writes")
    parser.add_argument("--ps", type=float, default=6.0, help="ps of MD per run (default 6)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)  # the demo always starts from scratch
    out.mkdir(parents=True)
    stage("engine check", ["doctor"], out / "doctor.txt")
    md = {"crystal": ("ice", "230"), "crystal-warm": ("ice", "270"), "melt": ("water", "290"),
          "melt-cold": ("water", "250")}
    for name, (system, temperature) in md.items():
        stage(f"MD of {system} at {temperature} K", [
            "simulate", "--system", system, "--molecules", "288", "--temperature", temperature,
            "--ps", str(args.ps), "--equilibrate", "2" if system == "ice" else "4", "--frame-interval", "0.25",
            "--seed", "7", "--out", str(out / name)], out / f"simulate-{name}.txt")
    # slabs along x (288 molecules: 2.35 x 2.21 x 1.81 nm): one to train on, one held out
    for name, fraction, temperature in (("slab", "0.5", "250"), ("slab-heldout", "0.25", "260")):
        stage(f"MD of an ice slab in water, crystal fraction {fraction}, {temperature} K", [
            "simulate", "--system", "ice-water-slab", "--molecules", "288", "--axis", "x", "--crystal-fraction",
            fraction, "--temperature", temperature, "--ps", str(args.ps), "--equilibrate", "2", "--frame-interval",
            "0.25", "--seed", "7", "--out", str(out / name)], out / f"simulate-{name}.txt")
    trajs = [arg for name in md for arg in ("--traj", f"{out / name / 'trajectory.dcd'}:{name.split('-')[0]}")]
    top = str(out / "crystal" / "topology.pdb")
    stage("training", ["train", *trajs, "--traj", str(out / "slab" / "trajectory.dcd"), "--top", top,
                       "--out", str(out / "run"), "--config", str(CONFIG)], out / "train.txt")
    stage("clustering", ["cluster", "--model", str(out / "run"), *trajs, "--top", top, "--out",
                         str(out / "cluster")], out / "cluster.txt")
    stage("export", ["export", "--model", str(out / "run"), "--top", str(out / "melt" / "topology.pdb"),
                     "--out", str(out / "cv"), "--cv", "progress,crystal_count", "--temperature", "270"],
          out / "export.txt")
    for name in ("crystal", "melt", "slab-heldout"):
        stage(f"evaluate on the {name} trajectory", [
            "evaluate", "--cv", str(out / "cv"), "--traj", str(out / name / "trajectory.dcd"), "--top",
            str(out / name / "topology.pdb"), "--out", str(out / f"cv-{name}.csv"), "--stride", "4"],
            out / f"evaluate-{name}.txt")
    stage("metadynamics from the melt", [
        "metad", "--system-xml", str(out / "melt" / "system.xml"), "--pdb", str(out / "melt" / "topology.pdb"),
        "--state", str(out / "melt" / "state.xml"), "--cv", str(out / "cv"), "--temperature", "270",
        "--bias-factor", "10", "--height", "1.0", "--pace", "50", "--ns", "0.002", "--report-interval", "50",
        "--checkpoint-interval", "500", "--out", str(out / "metad")], out / "metad.txt")
    print(f"""
demo finished; everything is under {out}
  training:    {out / 'run'}/loss.png, latent.png, metrics.json (held-out crystal/melt accuracy)
  clustering:  {out / 'cluster'}/latent.png (basins), cv_hist.png (CV per phase), comparison.csv
  exported CV: {out / 'cv'}/openmm_cv0.pt (progress), openmm_cv2.pt (crystal_count), plumed_cv.ptc, plumed.dat
  evaluation:  {out}/cv-crystal.csv, cv-melt.csv (progress near 1 for ice, near 0 for water),
               cv-slab-heldout.csv (progress near 0.25, the held-out slab's crystal fraction)
  metad:       {out / 'metad'}/colvar.csv, fes.png, cv_time.png""")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
