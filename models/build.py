"""Regenerate the shipped models: `.venv/bin/python models/build.py [--only NAME] [--report-only]`.

For each system pair it runs the public command line, as `make demo` does but with longer MD:
simulate crystal and melt, train, cluster, export the progress CV for the crystal's topology, and
keep in ``models/<name>/``: the exported CV folder (``cv/``), the model (``model.pt``, ``heads.json``),
the training settings and metrics (``settings.json``, ``metrics.csv``, ``metrics.json``), the plots
(``loss.png``, ``latent.png``, ``cv_hist.png``) and a README with the numbers. Then the CV quality
report (``latentcv report``) on new, held-out MD (another seed) at the training size and at a second
size goes to ``models/<name>/report/``. The MD, training and export scratch files stay in
``models/<name>/work/`` (git-ignored). ``--report-only`` redoes just the reports of the models there;
``--reuse-md`` trains on the MD already in ``work/`` instead of simulating again (MD on 2 CPU threads is
not bit-reproducible, so a rebuild from new MD trains a slightly different model).
A rebuilt model that has PLUMED examples gets them rewritten (``examples/plumed/make_inputs.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))
sys.path.insert(0, str(HERE.parent / "examples" / "plumed"))
import make_inputs  # noqa: E402  (examples/plumed: PLUMED inputs of the shipped models)
from demo import CONFIG, stage  # noqa: E402  (the same stage runner as the demo)

#: name: (crystal system, its temperature, melt system, its temperature, molecules, ps per phase)
PAIRS = {
    "ice-water": ("ice", "250", "water", "300", "288", "40"),
    "urea": ("urea-crystal", "300", "urea-melt", "500", "128", "40"),
    "ice-water-fast": ("ice", "250", "water", "300", "288", "40"),
}
#: name: training config, when not the demo's (``examples/demo_config.yaml``)
CONFIGS = {"ice-water-fast": HERE / "fast_config.yaml"}
#: name: the second system size of the report (molecules, one the builder makes exactly), beside the training size
REPORT_SIZES = {"ice-water": "576", "urea": "250", "ice-water-fast": "576"}
#: Held-out MD of the report: a seed other than training's 11, ps of production, ps between frames
REPORT_SEED, REPORT_PS, REPORT_FRAME_PS = "12", "10", "0.5"
KEEP = ["model.pt", "heads.json", "settings.json", "metrics.csv", "metrics.json", "loss.png", "latent.png"]


def _clear(folder: Path, keep: set[Path]) -> None:
    """Delete everything in ``folder`` except the paths in ``keep`` (and the folders holding them)."""
    for item in folder.iterdir() if folder.is_dir() else ():
        if item in keep:
            continue
        if any(item in path.parents for path in keep):
            _clear(item, keep)
        elif item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink()


def build(name: str, reuse_md: bool = False) -> Path:
    """Simulate (unless ``reuse_md`` and ``work/`` holds both phases' MD), train, cluster and export
    the model ``name`` into ``models/<name>/``; returns that folder."""
    crystal, t_crystal, melt, t_melt, molecules, ps = PAIRS[name]
    folder = HERE / name
    work = folder / "work"
    phases = (("crystal", crystal, t_crystal), ("melt", melt, t_melt))
    reuse_md = reuse_md and all((work / phase / "trajectory.dcd").is_file() for phase, _, _ in phases)
    md = {work / phase for phase, _, _ in phases} | {work / f"simulate-{phase}.txt" for phase, _, _ in phases}
    _clear(folder, keep=md if reuse_md else set())
    work.mkdir(parents=True, exist_ok=True)
    for phase, system, temperature in phases if not reuse_md else ():
        stage(f"{name}: MD of {system} at {temperature} K", [
            "simulate", "--system", system, "--molecules", molecules, "--temperature", temperature, "--ps", ps,
            "--equilibrate", "5", "--frame-interval", "0.5", "--seed", "11", "--out", str(work / phase)],
            work / f"simulate-{phase}.txt")
    trajs = ["--traj", f"{work / 'crystal' / 'trajectory.dcd'}:crystal",
             "--traj", f"{work / 'melt' / 'trajectory.dcd'}:melt"]
    top = str(work / "crystal" / "topology.pdb")
    stage(f"{name}: training", ["train", *trajs, "--top", top, "--out", str(work / "run"), "--config",
                                     str(CONFIGS.get(name, CONFIG))],
          work / "train.txt")
    stage(f"{name}: clustering", ["cluster", "--model", str(work / "run"), *trajs, "--top", top, "--out",
                                  str(work / "cluster")], work / "cluster.txt")
    for item in KEEP:
        shutil.copy(work / "run" / item, folder / item)
    # from the kept model, so that metadata.json's provenance ("model": "..") survives in a clone
    stage(f"{name}: export", ["export", "--model", str(folder), "--top", top, "--out", str(folder / "cv"),
                              "--cv", "progress", "--temperature", t_crystal], work / "export.txt")
    shutil.copy(work / "cluster" / "cv_hist.png", folder / "cv_hist.png")
    shutil.copy(top, folder / "topology.pdb")
    metrics = json.loads((work / "run" / "metrics.json").read_text())
    hist = [line.strip() for line in (work / "cluster.txt").read_text().splitlines() if "overlap" in line]
    title = f"{name}: a small latent CV, {crystal} ({t_crystal} K) against {melt} ({t_melt} K)"
    config = Path(CONFIGS.get(name, CONFIG)).relative_to(HERE.parent)
    (folder / "README.md").write_text(f"""# {title}

Trained on {metrics['training_frames']} frames ({molecules} molecules; {ps} ps of NPT MD per phase, a
frame every 0.5 ps) with `{config}`; {metrics['held_out_frames']} frames held out.
Held-out phase accuracy (nearest latent centroid): {metrics.get('held_out_accuracy', float('nan')):.3f}.

CV components on the training frames (`latentcv cluster`):

```
{chr(10).join(hist)}
```

- `cv/`: the exported CV for `topology.pdb`'s system (openmm_cv0.pt = progress, openmm_cv1.pt =
  off_axis, plumed_cv.ptc, plumed.dat, metadata.json). For another size of the same chemistry:
  `latentcv export --model models/{name} --top YOUR.pdb --out CV_DIR`.
- `model.pt`, `heads.json`: the trained encoder and the basin centres/CV heads.
- `settings.json`, `metrics.csv`, `metrics.json`, `loss.png`, `latent.png`, `cv_hist.png`.
- `report/report.md`: CV quality on held-out MD at {molecules} and {REPORT_SIZES[name]} molecules, every CV
  component against Steinhardt Q6 (accuracy, histogram overlap, Fisher ratio; `latentcv report`).

These are demonstration models: minutes of CPU training on tens of ps of MD. Retrain on your own
trajectories for production. Regenerate with `.venv/bin/python models/build.py --only {name}`.
""")
    return folder


def report(name: str) -> Path:
    """Held-out MD at two sizes and ``latentcv report`` of the model in ``models/<name>`` into its ``report/``.

    Runs from the repository root with relative paths, so the report names its files portably.
    """
    crystal, t_crystal, melt, t_melt, molecules, _ = PAIRS[name]
    with contextlib.chdir(HERE.parent):
        folder = Path("models") / name
        work = folder / "work" / "report"
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(folder / "report", ignore_errors=True)
        work.mkdir(parents=True)
        args = []
        for size in (molecules, REPORT_SIZES[name]):
            for phase, system, temperature in (("crystal", crystal, t_crystal), ("melt", melt, t_melt)):
                run = work / f"{phase}-{size}"
                stage(f"{name}: held-out MD of {size} {system} at {temperature} K", [
                    "simulate", "--system", system, "--molecules", size, "--temperature", temperature, "--ps",
                    REPORT_PS, "--equilibrate", "5", "--frame-interval", REPORT_FRAME_PS, "--seed", REPORT_SEED,
                    "--out", str(run)], work / f"simulate-{phase}-{size}.txt")
                args += ["--traj", f"{run / 'trajectory.dcd'}:{phase}", "--top", str(run / "topology.pdb")]
        stage(f"{name}: CV quality report", [
            "report", "--cv", str(folder), *args, "--heads", "progress,distance,crystal_count", "--out",
            str(folder / "report"), "--cv-out", str(work / "cv")], work / "report.txt")
    return HERE / name / "report"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(PAIRS), help="build one model only")
    parser.add_argument("--report-only", action="store_true", help="only redo the reports of the existing models")
    parser.add_argument("--reuse-md", action="store_true",
                        help="train on the MD already in models/<name>/work (e.g. after changing a training config) "
                             "instead of simulating again")
    args = parser.parse_args()
    for name in [args.only] if args.only else list(PAIRS):
        if not args.report_only:
            print(f"model {name}: {build(name, args.reuse_md)}")
            if name in make_inputs.TEMPERATURES:
                make_inputs.write_inputs(name, make_inputs.HERE)
        print(f"report {name}: {report(name)}")


if __name__ == "__main__":
    main()
