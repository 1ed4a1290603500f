"""Checkpoint files: atomic replacement, safe loading, loading weights for inference."""

from __future__ import annotations

import pickle

import pytest
import torch

from latentcv.errors import InputError
from latentcv.training import load_checkpoint, load_weights, save_checkpoint
from latentcv.training.seeding import rng_state, set_rng_state


def test_failed_save_leaves_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "latest.pt"
    good = {"weights": torch.arange(10.0), "epoch": 1}
    save_checkpoint(path, good)
    before = path.read_bytes()
    bad = {"weights": torch.zeros(100_000), "epoch": 2, "hook": lambda: None}  # fails once pickling reaches it
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save_checkpoint(path, bad)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["latest.pt"]
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["weights"], good["weights"]) and loaded["epoch"] == 1


def test_missing_or_corrupt_checkpoint(tmp_path):
    with pytest.raises(InputError, match="no checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read latentcv checkpoint .*does not parse"):
        load_checkpoint(corrupt)


def test_rng_state_round_trips_through_a_checkpoint(tmp_path):
    import random

    import numpy as np

    save_checkpoint(tmp_path / "rng.pt", {"rng": rng_state()})
    draws = (random.random(), np.random.rand(), torch.rand(1).item())
    set_rng_state(load_checkpoint(tmp_path / "rng.pt")["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == draws


def test_load_weights_prefers_ema(tmp_path):
    model = torch.nn.Linear(2, 1)
    ema_weights = {
        "module.weight": torch.ones(1, 2),
        "module.bias": torch.full((1,), 2.0),
        "n_averaged": torch.tensor(3),
    }
    raw = {"weight": torch.zeros(1, 2), "bias": torch.zeros(1)}
    save_checkpoint(tmp_path / "best.pt", {"model": raw, "ema": ema_weights})
    assert load_weights(tmp_path / "best.pt", model).bias.item() == 2.0
    assert load_weights(tmp_path / "best.pt", model, ema=False).bias.item() == 0.0
