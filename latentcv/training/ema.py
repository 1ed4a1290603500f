"""Exponential moving average of the weights, through ``torch.optim.swa_utils.AveragedModel``."""

from __future__ import annotations

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def build_ema(model: nn.Module, decay: float) -> AveragedModel:
    """An EMA copy of ``model`` that starts from its current weights.

    After ``update_parameters(model)`` at optimizer steps 1..n, with weights ``p_1..p_n``, the
    average is ``e_n = decay * e_{n-1} + (1 - decay) * p_n`` with ``e_0`` the weights at this call.
    Buffers (e.g. normalisation statistics) are averaged the same way. The copy lives on the
    model's device; evaluate it through ``ema.module``.

    Parameters
    ----------
    model : nn.Module
        The model being trained (unwrapped, not the DDP wrapper).
    decay : float
        In (0, 1); the weight of the past average at each update.
    """
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    ema.update_parameters(model)  # the first update copies: e_0 = current weights
    return ema
