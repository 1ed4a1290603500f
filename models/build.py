"""Regenerate the shipped models: `.venv/bin/python models/build.py [--only NAME] [--report-only]`.

Each model is built from the MD recipe of its chemistry (:data:`RECIPES`) through the public
command line, as `make demo` does but with more and longer MD:

- training MD: bulk crystal and bulk melt at several temperatures on both sides of the melting
  point (so that neither temperature nor density tells the phases apart) and slabs of crystal in
  its melt (``*-slab`` systems, with per-molecule labels), all of one system size;
- training with the model's config (the per-molecule crystallinity stage included), clustering of
  the bulk phases, export of progress, off_axis and crystal_count for the training topology;
- the held-out report (``latentcv report``) on MD at other sizes, box shapes, temperatures and seeds:
  bulk phases at three temperatures and two sizes, slabs of six crystal fractions with their
  normal along another lattice direction, and nuclei of 20 to 200 molecules in a melt of more than
  2,000 (the partial-order section, beside global Q6 and the solid-like count).

The MD of a chemistry lives in ``models/work/<chemistry>/`` (git-ignored), shared by the models of
that chemistry (``ice-water`` and ``ice-water-fast``). Every run is resumed where it stopped
(``latentcv simulate --resume``), so an interrupted build goes on and a finished run is not redone;
``--fresh-md`` deletes the chemistry's MD first (MD on 2 CPU threads is not bit-reproducible, so new
MD trains a slightly different model). Training and export scratch files stay in
``models/<name>/work/``. A rebuilt model that has PLUMED examples gets them rewritten
(``examples/plumed/make_inputs.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))
sys.path.insert(0, str(HERE.parent / "examples" / "plumed"))
import make_inputs  # noqa: E402  (examples/plumed: PLUMED inputs of the shipped models)
from demo import stage  # noqa: E402  (the same stage runner as the demo)


@dataclass(frozen=True)
class Run:
    """One ``latentcv simulate`` run of a recipe.

    Attributes
    ----------
    name : str
        Folder name under ``models/work/<chemistry>/``.
    system : str
        ``--system``; ``label`` is the phase label of a bulk run's frames, None for a coexistence
        run (its molecules are labelled).
    molecules, temperature, ps, equilibrate, frame, seed
        ``--molecules``, ``--temperature`` (K), ``--ps``, ``--equilibrate``, ``--frame-interval`` (ps), ``--seed``.
    fraction, crystal_molecules, axis
        ``--crystal-fraction``, ``--crystal-molecules``, ``--axis`` of a coexistence run.
    """

    name: str
    system: str
    label: str | None
    molecules: int
    temperature: float
    ps: float
    equilibrate: float
    frame: float
    seed: int
    fraction: float | None = None
    crystal_molecules: int | None = None
    axis: str | None = None

    def arguments(self, out: Path) -> list[str]:
        """The ``latentcv simulate`` command line of this run into ``out``."""
        args = ["simulate", "--system", self.system, "--molecules", str(self.molecules), "--temperature",
                f"{self.temperature:g}", "--ps", f"{self.ps:g}", "--equilibrate", f"{self.equilibrate:g}",
                "--frame-interval", f"{self.frame:g}", "--seed", str(self.seed), "--out", str(out)]
        for option, value in (("--crystal-fraction", self.fraction), ("--crystal-molecules", self.crystal_molecules),
                              ("--axis", self.axis)):
            if value is not None:
                args += [option, f"{value:g}" if isinstance(value, float) else str(value)]
        return args + (["--resume"] if (out / "config.json").is_file() else [])


@dataclass(frozen=True)
class Recipe:
    """The MD of one chemistry: training runs (one system size) and held-out runs for the report.

    Attributes
    ----------
    crystal, melt, slab, nucleus : str
        The chemistry's bulk crystal, bulk melt, slab and nucleus systems.
    training : tuple of Run
    bulk, slabs, nuclei : tuple of Run
        Held-out bulk phases, slabs and nuclei (one of them the melt, 0 crystal molecules).
    metad_temperature : float
        K, near the melting point: the METAD temperature of the exported plumed.dat.
    """

    training: tuple[Run, ...]
    bulk: tuple[Run, ...]
    slabs: tuple[Run, ...]
    nuclei: tuple[Run, ...]
    metad_temperature: float


def _bulk(prefix: str, system: str, label: str, molecules: int, temperatures: tuple[float, ...], ps: float,
          equilibrate: float, seed: int) -> tuple[Run, ...]:
    return tuple(Run(f"{prefix}-{t:g}", system, label, molecules, t, ps, equilibrate, 1.0, seed) for t in temperatures)


# TIP4P/Ice melts at about 270 K (Abascal et al. 2005; Conde et al. 2017: 269.8 K by direct
# coexistence). Training at 576 molecules (ice 3 x 4 x 3 cells; water cubic; slabs 3 x 3 x 4 cells,
# normal z, basal interfaces); held out at 288 and 1,024 molecules, 245-285 K, slabs of 960
# molecules with the normal along x (prismatic interfaces, a 7.8 nm box), and nuclei in 2,304.
ICE = Recipe(
    training=(_bulk("ice", "ice", "crystal", 576, (230, 250, 270, 290), 60, 20, 11)
              + _bulk("water", "water", "melt", 576, (240, 260, 280, 300), 60, 40, 11)
              + tuple(Run(f"slab-{t:g}-{f:g}", "ice-water-slab", None, 576, t, 40, 20, 1.0, seed, fraction=f)
                      for t, f, seed in ((250, 0.25, 11), (250, 0.5, 11), (240, 0.5, 13)))),
    bulk=(_bulk("ice288", "ice", "crystal", 288, (245, 265, 285), 30, 20, 12)
          + _bulk("water288", "water", "melt", 288, (245, 265, 285), 30, 40, 12)
          + _bulk("ice1024", "ice", "crystal", 1024, (265,), 20, 20, 12)
          + _bulk("water1024", "water", "melt", 1024, (265,), 20, 40, 12)),
    slabs=tuple(Run(f"slab960-260-{f:g}", "ice-water-slab", None, 960, 260, 20, 20, 1.0, 12, fraction=f, axis="x")
                for f in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)),
    nuclei=(Run("nucleus-255-0", "ice-water-nucleus", None, 2304, 255, 20, 10, 0.5, 12, crystal_molecules=0),)
    + tuple(Run(f"nucleus-255-{n}", "ice-water-nucleus", None, 2304, 255, 4, 2, 0.25, 12, crystal_molecules=n)
            for n in (200, 100, 50, 20)),
    metad_temperature=270.0,
)
# GAFF urea: form I stable at 300 K, melt above about 450 K (simulation/README.md). Training at
# 224 molecules (the crystal 4 x 4 x 7 cells, which is also the slab's box, normal z); held out at 128
# and 432 (4 x 4 x 4 and 6 x 6 x 6 cells) and slabs of 320 molecules with the normal along x.
UREA = Recipe(
    training=(_bulk("crystal", "urea-crystal", "crystal", 224, (300, 350, 400), 40, 10, 11)
              + _bulk("melt", "urea-melt", "melt", 224, (380, 430, 500), 40, 10, 11)
              + tuple(Run(f"slab-350-{f:g}", "urea-slab", None, 224, 350, 30, 10, 1.0, 11, fraction=f)
                      for f in (0.25, 0.5))),
    bulk=(_bulk("crystal128", "urea-crystal", "crystal", 128, (320, 370), 20, 10, 12)
          + _bulk("melt128", "urea-melt", "melt", 128, (400, 460), 20, 10, 12)
          + _bulk("crystal432", "urea-crystal", "crystal", 432, (340,), 15, 10, 12)
          + _bulk("melt432", "urea-melt", "melt", 432, (420,), 15, 10, 12)),
    slabs=tuple(Run(f"slab320-360-{f:g}", "urea-slab", None, 320, 360, 15, 10, 1.0, 12, fraction=f, axis="x")
                for f in (0.0, 0.25, 0.5, 0.75, 1.0)),
    nuclei=(),
    metad_temperature=400.0,
)
RECIPES = {"ice": ICE, "urea": UREA}
#: model: (its chemistry's recipe, its training config)
MODELS = {"ice-water": ("ice", HERE / "ice-water_config.yaml"), "ice-water-fast": ("ice", HERE / "fast_config.yaml"),
          "urea": ("urea", HERE / "urea_config.yaml")}
KEEP = ["model.pt", "heads.json", "settings.json", "metrics.csv", "metrics.json", "loss.png", "latent.png"]
#: CV components of the shipped exports and reports
HEADS = "progress,crystal_count,distance"


def md_folder(chemistry: str) -> Path:
    """Where the MD of ``chemistry`` lives, relative to the repository root."""
    return Path("models") / "work" / chemistry


def simulate(chemistry: str, runs: tuple[Run, ...]) -> None:
    """Run (or finish) every run of ``runs`` in the chemistry's MD folder."""
    md_folder(chemistry).mkdir(parents=True, exist_ok=True)
    for run in runs:
        out = md_folder(chemistry) / run.name
        stage(f"{chemistry}: MD {run.name}", run.arguments(out), md_folder(chemistry) / f"{run.name}.txt")


def trajectories(chemistry: str, runs: tuple[Run, ...], labelled_only: bool = False) -> list[str]:
    """``--traj`` arguments of ``runs``: ``FILE:LABEL`` for bulk runs, ``FILE`` for coexistence runs."""
    args = []
    for run in runs:
        if run.label is None and labelled_only:
            continue
        path = md_folder(chemistry) / run.name / "trajectory.dcd"
        args += ["--traj", f"{path}:{run.label}" if run.label else str(path)]
    return args


def build(name: str) -> Path:
    """Simulate (what is missing of) the training MD, train, cluster and export the model ``name``
    into ``models/<name>/``; returns that folder."""
    chemistry, config = MODELS[name]
    recipe = RECIPES[chemistry]
    folder = Path("models") / name
    work = folder / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    simulate(chemistry, recipe.training)
    top = str(md_folder(chemistry) / recipe.training[0].name / "topology.pdb")
    stage(f"{name}: training", ["train", *trajectories(chemistry, recipe.training), "--top", top, "--out",
                                str(work / "run"), "--config", str(config)], work / "train.txt")
    stage(f"{name}: clustering", ["cluster", "--model", str(work / "run"),
                                  *trajectories(chemistry, recipe.training, labelled_only=True), "--top", top,
                                  "--out", str(work / "cluster")], work / "cluster.txt")
    for item in KEEP:
        shutil.copy(work / "run" / item, folder / item)
    shutil.copy(work / "cluster" / "cv_hist.png", folder / "cv_hist.png")
    shutil.copy(top, folder / "topology.pdb")
    shutil.rmtree(folder / "cv", ignore_errors=True)
    # from the kept model, so that metadata.json's provenance ("model": "..") survives in a clone
    stage(f"{name}: export", ["export", "--model", str(folder), "--top", str(folder / "topology.pdb"), "--out",
                              str(folder / "cv"), "--cv", HEADS, "--temperature", f"{recipe.metad_temperature:g}"],
          work / "export.txt")
    training_readings(name)
    return folder


def training_readings(name: str) -> Path:
    """``models/<name>/training_readings.json``: the exported CV's mean progress and crystal_count per
    molecule on each bulk training run (every training temperature; ``latentcv evaluate``)."""
    import numpy as np

    chemistry, _ = MODELS[name]
    folder = Path("models") / name
    readings = []
    for run in RECIPES[chemistry].training:
        if run.label is None:
            continue
        out = folder / "work" / f"evaluate-{run.name}.csv"
        md = md_folder(chemistry) / run.name
        stage(f"{name}: evaluate on {run.name}",
              ["evaluate", "--cv", str(folder / "cv"), "--traj", str(md / "trajectory.dcd"), "--top",
               str(md / "topology.pdb"), "--out", str(out), "--stride", "5"], folder / "work" / "evaluate.txt")
        with open(out) as handle:
            names = handle.readline().strip().split(",")
        values = np.loadtxt(out, delimiter=",", skiprows=1, ndmin=2)
        readings.append({"run": run.name, "label": run.label, "temperature": run.temperature,
                         "progress": float(values[:, names.index("progress")].mean()),
                         "crystal_fraction": float(values[:, names.index("crystal_count")].mean() / run.molecules)})
    target = folder / "training_readings.json"
    target.write_text(json.dumps(readings, indent=1) + "\n")
    return target


def report(name: str) -> Path:
    """The held-out MD (what is missing of it) and ``latentcv report`` of ``models/<name>`` into its ``report/``."""
    chemistry, _ = MODELS[name]
    recipe = RECIPES[chemistry]
    folder = Path("models") / name
    work = folder / "work" / "report"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(folder / "report", ignore_errors=True)
    work.mkdir(parents=True)
    simulate(chemistry, recipe.bulk + recipe.slabs + recipe.nuclei)
    partial = [arg for run in recipe.slabs for arg in ("--slab", str(md_folder(chemistry) / run.name))]
    partial += [arg for run in recipe.nuclei for arg in ("--nucleus", str(md_folder(chemistry) / run.name))]
    stage(f"{name}: CV quality report", [
        "report", "--cv", str(folder), *trajectories(chemistry, recipe.bulk), *partial, "--heads", HEADS,
        "--out", str(folder / "report"), "--cv-out", str(work / "cv")], work / "report.txt")
    write_readme(name)
    return folder / "report"


def write_readme(name: str) -> Path:
    """``models/<name>/README.md``: what the model was trained on, and its report's targets."""
    chemistry, config = MODELS[name]
    recipe = RECIPES[chemistry]
    folder = Path("models") / name
    metrics = json.loads((folder / "metrics.json").read_text())
    result = json.loads((folder / "report" / "report.json").read_text())
    targets = result.get("partial_order", {}).get("targets", [])
    missed = [t for t in targets if not t["met"]]
    readings = json.loads((folder / "training_readings.json").read_text())
    reading_rows = "\n".join(f"| {r['label']} | {r['temperature']:g} | {r['progress']:.3f} "
                              f"| {r['crystal_fraction']:.3f} |" for r in readings)
    bulk = sorted({(r.system, r.temperature) for r in recipe.training if r.label})
    slabs = [r for r in recipe.training if r.label is None]
    rows = "\n".join(f"| {t['target']} | {_shown(t['value'])} | {'yes' if t['met'] else '**no**'} |" for t in targets)
    text = f"""# {name}: a latent crystallization CV for {chemistry}

Trained with `{Path(config).name}` on {metrics['training_frames']} frames of {recipe.training[0].molecules} molecules
({metrics['held_out_frames']} held out): bulk phases at {', '.join(f'{s} {t:g} K' for s, t in bulk)}, and slabs of
crystal in its melt ({', '.join(f'crystal fraction {r.fraction:g} at {r.temperature:g} K' for r in slabs)}) with
their per-molecule labels. Its per-molecule crystallinity p_i gives `progress` (the mean of p_i: 0 melt, 1
crystal) and `crystal_count` (Σ p_i). On the bulk training runs, every 5th frame (`training_readings.json`):

| phase | T (K) | progress | crystal_count / N |
|---|---|---|---|
{reading_rows}

Held-out report (`report/report.md`: other sizes, box shapes, temperatures and seeds, beside global Q6
and the count of solid-like molecules): {len(targets) - len(missed)} of {len(targets)} targets met.

| target | value | met |
|---|---|---|
{rows}

- `cv/`: the exported CV for `topology.pdb`'s system (openmm_cv0.pt = progress, openmm_cv1.pt = off_axis,
  openmm_cv2.pt = crystal_count, openmm_cv3.pt = distance, plumed_cv.ptc, plumed.dat, metadata.json). For
  another system of the same chemistry: `latentcv export --model models/{name} --top YOUR.pdb --out CV_DIR`.
- `model.pt`, `heads.json`: the trained encoder and the CV heads; `settings.json`, `metrics.csv`, `metrics.json`,
  `loss.png`, `latent.png`, `cv_hist.png`, `training_readings.json`.

These are demonstration models: minutes of CPU training on hundreds of ps of MD. Retrain on your own
trajectories for production. Regenerate with `.venv/bin/python models/build.py --only {name}`.
"""
    (folder / "README.md").write_text(text)
    return folder / "README.md"


def _shown(value: float | int | None) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(MODELS), help="build one model only")
    parser.add_argument("--report-only", action="store_true", help="only redo the reports of the existing models")
    parser.add_argument("--fresh-md", action="store_true", help="delete the chemistry's MD and simulate it again")
    args = parser.parse_args()
    with contextlib.chdir(HERE.parent):  # relative paths, so that the reports name their files portably
        for name in [args.only] if args.only else list(MODELS):
            if args.fresh_md:
                shutil.rmtree(md_folder(MODELS[name][0]), ignore_errors=True)
            if not args.report_only:
                print(f"model {name}: {build(name)}")
                if name in make_inputs.TEMPERATURES:
                    make_inputs.write_inputs(name, make_inputs.HERE)
            print(f"report {name}: {report(name)}")


if __name__ == "__main__":
    main()
