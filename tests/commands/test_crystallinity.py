"""The per-molecule crystallinity p_i fitted by ``latentcv train`` on small real systems: the bulk
phases and the labelled molecules of a slab (tests/conftest.py, ``crystallinity_run``).

What a fit to labels guarantees, on frames it was fit to and on frames of the same runs it was not:
the molecules of bulk ice read as crystal and those of bulk water as melt (the two are separable:
the classical averaged-q6 criterion sorts more than 99 % of them); in the slab the molecules held
crystalline read higher than the melted ones (the molecules at the two interfaces are ambiguous by
construction, so no per-molecule bound holds there), and p_i predicts the slab's labels better than
their crystal fraction alone does (binary cross-entropy below the labels' entropy, the loss of the
best constant). The heads built on p_i are its mean and sum.
"""

from __future__ import annotations

import json

import numpy as np
import torch

from latentcv.cv.basins import load_basins
from latentcv.data.dataset import load_dataset
from latentcv.nn.bundle import load_bundle
from latentcv.nn.latents import encode_frames
from tests.conftest import labelled_trajectories


def _crystallinity(run, trajectories, topology):
    bundle = load_bundle(run)
    frames = load_dataset(trajectories, topology, vocabulary=bundle.vocabulary)
    encoder, inputs = bundle.encoder(frames.molecular)
    z, h, logits = encode_frames(encoder, frames.positions.index_select(1, inputs.atoms), frames.boxes,
                                 per_molecule=True)
    return frames, z, h, logits, 1.0 / (1.0 + np.exp(-logits))


def test_bulk_molecules_read_their_phase(crystallinity_run, phase_runs) -> None:
    run, summary = crystallinity_run
    assert (run / "crystallinity" / "stage.done").is_file() and summary.metrics["held_out_accuracy"] == 1.0
    frames, _, _, _, p = _crystallinity(run, labelled_trajectories(phase_runs), phase_runs["crystal"] / "topology.pdb")
    crystal = frames.labels.numpy() == frames.label_names.index("crystal")
    assert p[crystal].mean() >= 0.9 and p[~crystal].mean() <= 0.1, (p[crystal].mean(), p[~crystal].mean())


def test_slab_molecules_held_crystalline_read_higher(crystallinity_run, slab_run) -> None:
    run, _ = crystallinity_run
    frames, _, _, _, p = _crystallinity(run, [str(slab_run / "trajectory.dcd")], slab_run / "topology.pdb")
    assert frames.label_names == ["crystal", "melt"] and (frames.labels == -1).all(), "molecules labelled, frames not"
    crystal = frames.molecule_labels.numpy() == 0
    assert crystal[0].sum() == 72
    assert p[crystal].mean() > p[~crystal].mean(), (p[crystal].mean(), p[~crystal].mean())
    q = np.clip(p, 1e-7, 1 - 1e-7)
    cross_entropy = -np.where(crystal, np.log(q), np.log(1 - q)).mean()
    fraction = crystal.mean()
    entropy = -(fraction * np.log(fraction) + (1 - fraction) * np.log(1 - fraction))
    assert cross_entropy < entropy, (cross_entropy, entropy)


def test_the_heads_are_the_mean_and_the_sum_of_p(crystallinity_run, phase_runs) -> None:
    """``progress`` = mean p_i and ``crystal_count`` = Σ p_i frame by frame (float32 round-off of
    a sum of 288 terms), and heads.json says the model reads its crystallinity."""
    run, _ = crystallinity_run
    basins = load_basins(run)
    assert basins.crystallinity and json.loads((run / "heads.json").read_text())["crystallinity"]
    top = phase_runs["crystal"] / "topology.pdb"
    frames, z, h, logits, p = _crystallinity(run, labelled_trajectories(phase_runs), top)
    for f in (0, len(z) - 1):
        args = (torch.tensor(z[f]), torch.tensor(h[f]), torch.tensor(logits[f]))
        assert abs(float(basins.head("progress")(*args)[0]) - p[f].mean()) < 1e-6
        assert abs(float(basins.head("crystal_count")(*args)[0]) - p[f].sum()) < 1e-4
