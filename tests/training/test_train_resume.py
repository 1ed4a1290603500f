"""Resuming gives the same weights, optimizer state and metrics as training straight through,
after a stop at an epoch boundary, a Ctrl-C inside an epoch, and a killed process."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import torch
from train_toy import ToyAutoencoder, run_python, toy_data, toy_model

from latentcv.training import TrainConfig, fit, load_checkpoint

#: 4 epochs of 5 batches; grad_accum=2 makes optimizer steps end at batches 2, 4 and 5 of an epoch.
CONFIG = {
    "epochs": 4,
    "batch_size": 16,
    "lr": 1e-2,
    "warmup_steps": 2,
    "schedule": "cosine",
    "grad_accum": 2,
    "clip_norm": 1.0,
    "ema_decay": 0.9,
    "valid_fraction": 0.25,
    "seed": 3,
}


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The final checkpoint of an uninterrupted 4-epoch run."""
    run_dir = tmp_path_factory.mktemp("straight")
    fit(toy_model(), toy_data(), None, TrainConfig.from_dict(CONFIG), run_dir, verbose=False)
    return load_checkpoint(run_dir / "latest.pt")


def assert_same_run(resumed: dict[str, Any], straight: dict[str, Any]) -> None:
    """Bitwise-equal weights, EMA, optimizer and scheduler state, counters and metrics (but time)."""
    for key in ("model", "ema"):
        assert resumed[key].keys() == straight[key].keys()
        for name, tensor in straight[key].items():
            assert torch.equal(resumed[key][name], tensor), f"{key}.{name} differs"
    for index, state in straight["optimizer"]["state"].items():
        for name, tensor in state.items():
            assert torch.equal(resumed["optimizer"]["state"][index][name], tensor), f"optimizer {index}.{name}"
    assert resumed["scheduler"]["_last_lr"] == straight["scheduler"]["_last_lr"]
    for key in ("epoch", "batch", "step", "bad_epochs", "best"):
        assert resumed[key] == straight[key], key
    for row, expected in zip(resumed["history"], straight["history"], strict=True):
        assert {**row, "time": 0} == {**expected, "time": 0}


def test_stop_at_an_epoch_boundary_then_resume(tmp_path, straight):
    cfg = TrainConfig.from_dict(CONFIG)
    stop_after_2 = lambda trainer, epoch: epoch == 2 and trainer.request_stop()  # noqa: E731
    first = fit(toy_model(), toy_data(), None, cfg, tmp_path, hooks=[stop_after_2], verbose=False)
    assert first.interrupted and first.epochs == 2
    second = fit(ToyAutoencoder(), toy_data(), None, cfg, tmp_path, resume=True, verbose=False)
    assert second.epochs == 4 and not second.interrupted
    assert_same_run(load_checkpoint(tmp_path / "latest.pt"), straight)


class Interrupting(ToyAutoencoder):
    """Sends SIGINT to its own process (Ctrl-C) at training batch ``at``."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.calls = at, 0

    def loss(self, batch):
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                os.kill(os.getpid(), signal.SIGINT)
        return super().loss(batch)


def test_ctrl_c_inside_an_epoch_saves_the_position_and_resumes_exactly(tmp_path, straight):
    cfg = TrainConfig.from_dict(CONFIG)
    model = Interrupting(at=8)  # batch 3 of epoch 2: the step ends after batch 4
    model.load_state_dict(toy_model().state_dict())
    handler = signal.getsignal(signal.SIGINT)
    result = fit(model, toy_data(), None, cfg, tmp_path, verbose=False)
    saved = load_checkpoint(tmp_path / "latest.pt")
    assert result.interrupted and model.calls == 9
    assert (saved["epoch"], saved["batch"], saved["step"]) == (1, 4, 5)
    assert signal.getsignal(signal.SIGINT) is handler
    fit(ToyAutoencoder(), toy_data(), None, cfg, tmp_path, resume=True, verbose=False)
    assert_same_run(load_checkpoint(tmp_path / "latest.pt"), straight)


@pytest.mark.parametrize(("sig", "epoch", "batch"), [("SIGKILL", 1, 0), ("SIGTERM", 1, 4)])
def test_killed_process_then_resume(tmp_path, straight, sig, epoch, batch):
    child = run_python(["train_toy_run.py", str(tmp_path), json.dumps(CONFIG), "--signal", sig, "--at-batch", "8"])
    if sig == "SIGKILL":
        assert child.returncode == -signal.SIGKILL
    else:
        assert child.returncode == 0 and json.loads(child.stdout.splitlines()[-1]) == {"epochs": 1, "interrupted": True}
    saved = load_checkpoint(tmp_path / "latest.pt")
    assert (saved["epoch"], saved["batch"]) == (epoch, batch)
    assert not [p for p in Path(tmp_path).iterdir() if p.name.endswith(".tmp")]
    fit(ToyAutoencoder(), toy_data(), None, TrainConfig.from_dict(CONFIG), tmp_path, resume=True, verbose=False)
    assert_same_run(load_checkpoint(tmp_path / "latest.pt"), straight)

