"""Learning-rate schedules: warmup then decay, against closed forms at every step."""

from __future__ import annotations

import math

import pytest
import torch

from latentcv.training import TrainConfig
from latentcv.training.schedules import build_scheduler, warmup_steps

STEPS_PER_EPOCH = 5
EPOCHS = 4
LR, MIN_LR = 0.1, 0.01


def expected_lr(schedule: str, warmup: int, k: int) -> float:
    """The documented rate at optimizer step k (step_epochs=1, gamma=0.5, step_gamma=0.1)."""
    if k < warmup:
        return LR * (k + 1) / (warmup + 1)
    j = k - warmup
    if schedule == "cosine":
        return MIN_LR + (LR - MIN_LR) * (1 + math.cos(math.pi * j / (EPOCHS * STEPS_PER_EPOCH - warmup))) / 2
    if schedule == "exponential":
        return LR * 0.5 ** (j / STEPS_PER_EPOCH)
    if schedule == "step":
        return LR * 0.1 ** (j // STEPS_PER_EPOCH)
    return LR


@pytest.mark.parametrize("schedule", ["cosine", "exponential", "step", "constant"])
@pytest.mark.parametrize("warmup", [0, 3])
def test_rate_at_every_step(schedule, warmup):
    decay = {"min_lr": MIN_LR, "gamma": 0.5, "step_epochs": 1, "step_gamma": 0.1}
    cfg = TrainConfig(epochs=EPOCHS, lr=LR, warmup_steps=warmup, schedule=schedule, **decay)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=LR)
    scheduler = build_scheduler(optimizer, cfg, STEPS_PER_EPOCH)
    rates = []
    for _ in range(EPOCHS * STEPS_PER_EPOCH):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    expected = [expected_lr(schedule, warmup, k) for k in range(len(rates))]
    assert rates == pytest.approx(expected, rel=1e-12, abs=1e-15)
    if warmup:
        assert rates[0] == pytest.approx(LR / (warmup + 1)) and rates[warmup] == pytest.approx(LR)
    if schedule == "cosine":
        assert optimizer.param_groups[0]["lr"] == pytest.approx(MIN_LR, rel=1e-12)


def test_warmup_in_epochs_becomes_steps():
    assert warmup_steps(TrainConfig(warmup_epochs=1.5), steps_per_epoch=4) == 6
    assert warmup_steps(TrainConfig(warmup_steps=7), steps_per_epoch=4) == 7
