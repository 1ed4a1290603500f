"""Training throughput: seconds per epoch of ``latentcv train`` over 2,000 frames of 288 TIP4P/Ice molecules.

Data: short NPT runs of ice Ih (250 K) and liquid water (300 K) made with the project's own
``simulate`` (``--md-ps`` ps each, a frame every ``--frame-ps`` ps), then enough frames drawn from
them with a small Gaussian displacement of every atom (``--jitter`` nm) that the training split
(``stages.valid_fraction`` of the config held out) holds ``--frames`` frames, half of each phase.
Training is the real thing, ``latentcv.train`` with the shipped model's settings
(``models/ice-water/settings.json``, the model of ``examples/demo_config.yaml``) and
``--molecule-epochs`` / ``--epochs`` epochs: stage 1 (molecule autoencoder) and stage 2
(configuration autoencoder, the one that sees the molecular graph). An epoch's time is the trainer's
own (``metrics.csv``: the training pass, validation excluded). Target: under 60 s per stage-2 epoch
of 2,000 frames on a 2-core CPU. The frames are cached by the data layer like any training input
(``~/.cache/latentcv/frames``).

Prints a table and writes ``<out>/train_throughput.json`` and ``<out>/train_throughput.png``::

    .venv/bin/python bench/train_throughput.py [--frames 2000] [--molecules 288] [--epochs 2]
                                               [--molecule-epochs 1] [--md-ps 5] [--out bench/results]
"""

from __future__ import annotations

import argparse
import csv
import math
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import latentcv
import mdtraj as md
import numpy as np
from _common import DEFAULT_MODEL, base_parser, new_figure, print_table, save_figure, write_json
from matplotlib.ticker import MaxNLocator

from latentcv.commands.simulate import RunConfig, RunFiles, simulate
from latentcv.nn.settings import Settings

NAME = "train_throughput"
#: (label, system, temperature K) of the two phases.
PHASES = (("crystal", "ice", 250.0), ("melt", "water", 300.0))
#: The issue's frame count and target (seconds per stage-2 epoch).
TARGET_FRAMES, TARGET_SECONDS = 2000, 60.0


def phase_runs(work: Path, molecules: int, md_ps: float, equilibrate_ps: float, frame_ps: float) -> dict[str, RunFiles]:
    """Short NPT MD of each phase of :data:`PHASES`, one run folder per label."""
    return {
        label: simulate(RunConfig(system, molecules, temperature, 1.0, md_ps, equilibrate_ps=equilibrate_ps,
                                  frame_ps=frame_ps, seed=1), work / label, progress=False)
        for label, system, temperature in PHASES
    }


def jittered_trajectory(run: RunFiles, n_frames: int, jitter_nm: float, seed: int, path: Path) -> Path:
    """Write ``n_frames`` frames to the DCD ``path``: frames of ``run`` in turn, every atom displaced
    by a Gaussian of standard deviation ``jitter_nm`` (nm), boxes kept."""
    traj = md.load(str(run.trajectory), top=str(run.topology))
    rng = np.random.default_rng(seed)
    pick = np.arange(n_frames) % traj.n_frames
    xyz = traj.xyz[pick] + rng.normal(0.0, jitter_nm, (n_frames, traj.n_atoms, 3)).astype(np.float32)
    md.Trajectory(xyz, traj.topology, unitcell_lengths=traj.unitcell_lengths[pick],
                  unitcell_angles=traj.unitcell_angles[pick]).save_dcd(str(path))
    return path


def epoch_times(metrics_csv: Path) -> list[float]:
    """Seconds of each epoch's training pass from a trainer's ``metrics.csv``."""
    with open(metrics_csv, newline="") as handle:
        return [float(row["time"]) for row in csv.DictReader(handle)]


def stage_row(stage: str, times: Sequence[float], train_frames: int) -> dict[str, Any]:
    """One table row: a stage's epoch times, also scaled to :data:`TARGET_FRAMES` frames."""
    typical = float(np.median(times))
    return {"stage": stage, "epochs": len(times), "train_frames": train_frames, "first_epoch_s": times[0],
            "s_per_epoch": typical, "s_per_2000_frames": typical * TARGET_FRAMES / train_frames,
            "frames_per_s": train_frames / typical, "epoch_s": list(times)}


def plot(rows: Sequence[dict[str, Any]], out: Path) -> Path:
    """Seconds of every epoch, per stage, scaled to 2,000 frames, against the target."""
    fig, ax = new_figure()
    for row in rows:
        scale = TARGET_FRAMES / row["train_frames"]
        ax.plot(range(1, row["epochs"] + 1), [t * scale for t in row["epoch_s"]], "o-", label=row["stage"])
    ax.axhline(TARGET_SECONDS, color="C3", ls="--", label=f"target {TARGET_SECONDS:g} s")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"seconds per epoch of {TARGET_FRAMES} frames")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return save_figure(fig, out, NAME)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = base_parser(__doc__)
    parser.add_argument("--config", type=Path, default=DEFAULT_MODEL / "settings.json",
                        help="training settings (default: the shipped ice-water model's)")
    parser.add_argument("--frames", type=int, default=TARGET_FRAMES, help="training frames per epoch")
    parser.add_argument("--molecules", type=int, default=288, help="TIP4P/Ice molecules per frame (requested)")
    parser.add_argument("--epochs", type=int, default=2, help="stage-2 (configuration) epochs")
    parser.add_argument("--molecule-epochs", type=int, default=1, help="stage-1 (molecule) epochs; 0 skips stage 1")
    parser.add_argument("--md-ps", type=float, default=5.0, help="MD per phase (ps)")
    parser.add_argument("--equilibrate", type=float, default=1.0, help="NPT equilibration per phase before it (ps)")
    parser.add_argument("--frame-ps", type=float, default=0.1, help="ps between MD frames")
    parser.add_argument("--jitter", type=float, default=0.002,
                        help="nm, Gaussian displacement of every atom per drawn frame")
    return parser.parse_args(argv)


COLUMNS = [("stage", "stage", "s"), ("epochs", "epochs", "d"), ("train_frames", "frames", "d"),
           ("first_epoch_s", "first s", ".1f"), ("s_per_epoch", "s/epoch", ".1f"),
           ("s_per_2000_frames", "s/2000 fr", ".1f"), ("frames_per_s", "frames/s", ".1f")]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; return what was written to ``train_throughput.json``."""
    args = parse_args(argv)
    overrides = {"stages": {"molecule_epochs": args.molecule_epochs}, "train": {"epochs": args.epochs}}
    settings = Settings.load(args.config, overrides)
    per_phase = math.ceil(args.frames / (1.0 - settings.stages.valid_fraction) / len(PHASES))
    with tempfile.TemporaryDirectory(prefix="latentcv-train-throughput-") as work_dir:
        work = Path(work_dir)
        started = time.perf_counter()
        runs = phase_runs(work, args.molecules, args.md_ps, args.equilibrate, args.frame_ps)
        trajectories = [f"{jittered_trajectory(run, per_phase, args.jitter, k, work / f'{label}.dcd')}:{label}"
                        for k, (label, run) in enumerate(runs.items())]
        data_s = time.perf_counter() - started
        started = time.perf_counter()
        summary = latentcv.train(trajectories, runs["crystal"].topology, work / "run", settings, verbose=False)
        train_s = time.perf_counter() - started
        n_train = int(summary.metrics["training_frames"])
        rows = [stage_row("molecule", epoch_times(work / "run" / "molecule" / "metrics.csv"), n_train)] \
            if args.molecule_epochs > 0 else []
        rows.append(stage_row("configuration", epoch_times(work / "run" / "metrics.csv"), n_train))
    print_table(rows, COLUMNS)
    print(f"{summary.metrics['molecules']} molecules; target < {TARGET_SECONDS:g} s per configuration epoch of "
          f"{TARGET_FRAMES} frames; data {data_s:.0f} s, latentcv.train {train_s:.0f} s in all")
    payload = {
        "benchmark": NAME,
        "molecules": summary.metrics["molecules"],
        "frames": summary.metrics["frames"],
        "training_frames": n_train,
        "settings": settings.to_dict(),
        "data_seconds": data_s,
        "train_call_seconds": train_s,
        "target_s_per_2000_frames": TARGET_SECONDS,
        "rows": rows,
    }
    write_json(args.out, NAME, payload)
    plot(rows, args.out)
    return payload


if __name__ == "__main__":
    main()
