"""Fixtures of the training tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def small_config() -> dict[str, Any]:
    """Options that exercise every feature of the loop in a fraction of a second per epoch:
    72 train / 24 valid samples, 5 batches (the last one short), 3 optimizer steps an epoch."""
    return {
        "epochs": 4,
        "batch_size": 16,
        "lr": 1e-2,
        "warmup_steps": 2,
        "schedule": "cosine",
        "min_lr": 1e-4,
        "grad_accum": 2,
        "clip_norm": 1.0,
        "ema_decay": 0.9,
        "valid_fraction": 0.25,
        "seed": 3,
    }
