"""EMA of the weights against a hand computation."""

from __future__ import annotations

import torch

from latentcv.training.ema import build_ema


def test_two_steps_by_hand():
    decay = 0.9
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema = build_ema(model, decay)
    for value in (3.0, -2.0):
        with torch.no_grad():
            model.weight.fill_(value)
        ema.update_parameters(model)
    # e0 = 1; e1 = 0.9*1 + 0.1*3 = 1.2; e2 = 0.9*1.2 + 0.1*(-2) = 0.88
    assert abs(ema.module.weight.item() - 0.88) < 1e-6
    assert model.weight.item() == -2.0


def test_buffers_are_averaged():
    model = torch.nn.BatchNorm1d(2)
    ema = build_ema(model, 0.5)
    model.running_mean.fill_(4.0)
    ema.update_parameters(model)
    assert torch.equal(ema.module.running_mean, torch.full((2,), 2.0))
