"""Checkpoint files: written atomically, read back safely.

A checkpoint is a dict saved with ``torch.save``::

    model       state_dict of the trained module (unwrapped from DDP)
    ema         state_dict of the AveragedModel, or None when EMA is off
    optimizer   AdamW state_dict
    scheduler   learning-rate scheduler state_dict
    epoch       epochs completed
    batch       batches of epoch ``epoch + 1`` already done (non-zero only when interrupted)
    step        optimizer steps done
    running     sums of the current epoch's train metrics (when ``batch`` > 0)
    best        best monitored loss so far, and its epoch
    bad_epochs  epochs since the last improvement (early stopping)
    history     per-epoch metric rows (metrics.csv is rewritten from them on resume)
    rng         list of RNG states, one per process rank (latentcv.training.seeding.rng_state)
    config      TrainConfig.to_dict()

Only tensors, containers and plain numbers are stored, so ``torch.load(weights_only=True)`` reads
it. The file also holds ``DIGEST_KEY``, the :func:`~latentcv.readers.content_digest` of the rest,
which :func:`load_checkpoint` checks (torch reads overwritten tensor bytes without complaint).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from latentcv.atomic import atomic_file
from latentcv.errors import InputError
from latentcv.readers import check_digest, content_digest, reading

#: Key of the checkpoint's own content digest.
DIGEST_KEY = "sha256"


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """Write ``state`` to ``path`` so that the file is either the old one or the complete new one.

    The data go to a temporary file in the same directory, are flushed to disk, and the file is
    renamed over ``path`` (``os.replace``, atomic on POSIX). If writing fails, the temporary file
    is removed and the exception propagates; an existing ``path`` is untouched.
    """
    with atomic_file(path) as temporary, open(temporary, "wb") as fh:
        torch.save({**state, DIGEST_KEY: content_digest(state)}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(path)


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises
    ------
    InputError
        When the file is missing or is not a readable checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no checkpoint at {path}")
    with reading(path, "latentcv checkpoint"):
        state = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(state, dict):
        raise InputError(f"{path} is not a latentcv checkpoint")
    if DIGEST_KEY in state:  # checkpoints of earlier versions have none
        recorded = state.pop(DIGEST_KEY)
        check_digest(path, "latentcv checkpoint", recorded, content_digest(state))
    return state


def load_weights(path: str | os.PathLike[str], model: nn.Module, ema: bool = True) -> nn.Module:
    """Load a checkpoint's weights into ``model`` for inference or a next training stage.

    Parameters
    ----------
    path : path-like
        ``best.pt``, ``latest.pt`` or ``epoch_NNNN.pt``.
    model : nn.Module
        A module of the same architecture; it is modified in place and returned.
    ema : bool
        Take the EMA weights when the run kept them (the weights validation judged); otherwise,
        or when the run had no EMA, the raw trained weights.
    """
    state = load_checkpoint(path)
    if ema and state["ema"] is not None:
        weights = {k.removeprefix("module."): v for k, v in state["ema"].items() if k != "n_averaged"}
    else:
        weights = state["model"]
    model.load_state_dict(weights)
    return model
