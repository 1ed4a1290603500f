"""`latentcv train` on real ice and water trajectories made by the project's own MD."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from latentcv.data.topology import read_topology
from latentcv.nn.bundle import load_bundle
from latentcv.nn.latents import encode_frames
from tests.conftest import SMALL_MODEL, labelled_trajectories

SMALL = SMALL_MODEL
_trajs = labelled_trajectories


def _cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "latentcv.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def trained(trained_run):
    return trained_run


def test_training_separates_held_out_ice_and_water(trained) -> None:
    """Demanded: at least 90 % of held-out frames (3 per phase) classified right by the nearest
    latent centroid of the training frames."""
    _, summary = trained
    assert summary.metrics["held_out_frames"] >= 6
    assert summary.metrics["held_out_accuracy"] >= 0.9
    for name in ("model.pt", "metrics.csv", "loss.png", "latent.png", "latents.npz", "settings.json",
                 "config.yaml", "best.pt", "latest.pt", "molecule/best.pt"):
        assert (summary.run_dir / name).is_file(), name
    rows = (summary.run_dir / "metrics.csv").read_text().splitlines()
    assert len(rows) == 1 + 3  # header and the 3 configuration-stage epochs


def test_model_transfers_to_another_system_size(trained, tmp_path) -> None:
    """Trained on 288 molecules, evaluated on a freshly built 576-molecule ice: its latent is
    nearer the crystal's training centroid than the melt's."""
    from latentcv.systems.ice import build_ice

    _, summary = trained
    bundle = load_bundle(summary.run_dir)
    big = build_ice(576, seed=5)
    big.write_pdb(tmp_path / "big.pdb")
    topology, molecular = read_topology(tmp_path / "big.pdb", vocabulary=bundle.vocabulary)
    encoder, inputs = bundle.encoder(molecular)
    assert inputs.atoms.shape[0] == 3 * big.n_molecules  # M sites dropped
    import mdtraj

    frame = mdtraj.load(str(tmp_path / "big.pdb"))
    z = encode_frames(encoder, torch.tensor(frame.xyz[:, inputs.source_atoms.numpy()]),
                      torch.tensor(frame.unitcell_vectors))[0]
    latents = np.load(summary.run_dir / "latents.npz")
    crystal = latents["z"][latents["labels"] == 0].mean(0)
    melt = latents["z"][latents["labels"] == 1].mean(0)
    assert np.linalg.norm(z - crystal) < np.linalg.norm(z - melt)


def test_interrupted_training_resumes_without_loss(phase_runs, tmp_path) -> None:
    """SIGINT during the configuration stage, then --resume: every epoch appears once."""
    out = tmp_path / "run"
    config = tmp_path / "small.json"
    config.write_text(json.dumps({**SMALL, "train": {**SMALL["train"], "epochs": 6}}))
    args = ["train", *sum((["--traj", t] for t in _trajs(phase_runs)), []), "--top",
            str(phase_runs["crystal"] / "topology.pdb"), "--out", str(out), "--config", str(config)]
    proc = subprocess.Popen([sys.executable, "-m", "latentcv.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 300
    while not (out / "latest.pt").is_file() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    assert not (out / "model.pt").exists(), "the run should have stopped before its end"
    done = _cli(*args, "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    epochs = [int(line.split(",")[0]) for line in (out / "metrics.csv").read_text().splitlines()[1:]]
    assert epochs == [1, 2, 3, 4, 5, 6]
    assert (out / "model.pt").is_file()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--traj", "missing.dcd:melt", "--top", "missing.pdb"], "missing"),
        (["--traj", "t.dcd", "--config", "CONFIG"], "unknown config section"),
        (["--traj", "t.dcd", "--pooling", "max"], "model.pooling must be one of"),
        (["--traj", "t.dcd", "--views", "0"], "stages.views must be at least 1"),
    ],
)
def test_bad_input_is_one_line(tmp_path, extra: list[str], message: str) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("optimizer: {lr: 1}\n")
    out = tmp_path / "run"
    proc = _cli("train", "--out", str(out), *[str(config) if a == "CONFIG" else a for a in extra])
    assert proc.returncode == 2
    assert not out.exists(), "bad input must not leave a run folder behind"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_two_process_ddp_training_on_cpu(phase_runs, tmp_path) -> None:
    """`torchrun --nproc_per_node=2` with gloo: both stages train, rank 0 alone writes the run."""
    out = tmp_path / "ddp"
    config = tmp_path / "small.json"
    config.write_text(json.dumps({**SMALL, "train": {**SMALL["train"], "epochs": 1}}))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone", "-m", "latentcv.cli",
           "train", *sum((["--traj", t] for t in _trajs(phase_runs)), []), "--top",
           str(phase_runs["crystal"] / "topology.pdb"), "--out", str(out), "--config", str(config)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.count("model: ") == 1, "only rank 0 reports and writes the model"
    assert "training on cpu x2" in proc.stdout
    assert (out / "model.pt").is_file() and (out / "molecule" / "stage.done").is_file()
