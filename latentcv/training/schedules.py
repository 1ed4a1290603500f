"""Learning-rate schedules: a linear warmup followed by a decay, built from torch's schedulers.

The scheduler steps once per optimizer step. Schedules are configured in epochs (what users think
in) and converted to optimizer steps here, with ``steps_per_epoch`` optimizer steps an epoch.
"""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LRScheduler,
    SequentialLR,
    StepLR,
)

from latentcv.training.config import TrainConfig


def warmup_steps(config: TrainConfig, steps_per_epoch: int) -> int:
    """Optimizer steps of the linear warmup (``warmup_steps``, or ``warmup_epochs`` converted)."""
    return config.warmup_steps or math.ceil(config.warmup_epochs * steps_per_epoch)


def build_scheduler(optimizer: Optimizer, config: TrainConfig, steps_per_epoch: int) -> LRScheduler:
    """The scheduler for ``config.schedule`` with its warmup, stepped once per optimizer step.

    With ``w`` warmup steps and peak ``lr``, the rate at optimizer step ``k`` (0-based) is
    ``lr * (k + 1) / (w + 1)`` for ``k <= w``; from step ``w`` on, ``j = k - w`` steps into the
    decay, it is ``min_lr + (lr - min_lr) * (1 + cos(pi * j / T)) / 2`` (cosine, ``T`` the steps
    left after the warmup), ``lr * gamma ** (j / steps_per_epoch)`` (exponential), ``lr *
    step_gamma ** floor(j / (step_epochs * steps_per_epoch))`` (step), or ``lr`` (constant).

    Parameters
    ----------
    optimizer : Optimizer
        Its groups' current ``lr`` is the peak rate.
    config : TrainConfig
        Schedule, warmup and decay parameters, and the number of epochs.
    steps_per_epoch : int
        Optimizer steps per epoch (batches divided by ``grad_accum``, rounded up).
    """
    warmup = warmup_steps(config, steps_per_epoch)
    decay_steps = max(config.epochs * steps_per_epoch - warmup, 1)
    if config.schedule == "cosine":
        decay: LRScheduler = CosineAnnealingLR(optimizer, T_max=decay_steps, eta_min=config.min_lr)
    elif config.schedule == "exponential":
        decay = ExponentialLR(optimizer, gamma=config.gamma ** (1.0 / steps_per_epoch))
    elif config.schedule == "step":
        decay = StepLR(optimizer, step_size=config.step_epochs * steps_per_epoch, gamma=config.step_gamma)
    else:
        decay = ConstantLR(optimizer, factor=1.0, total_iters=0)
    if warmup == 0:
        return decay
    ramp = LinearLR(optimizer, start_factor=1.0 / (warmup + 1), end_factor=1.0, total_iters=warmup)
    return SequentialLR(optimizer, schedulers=[ramp, decay], milestones=[warmup])
