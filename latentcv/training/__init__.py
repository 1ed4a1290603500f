"""Model-agnostic training: AdamW with warmup schedules, gradient accumulation and clipping, EMA,
validation, early stopping, atomic checkpoints with exact resume, metrics files, and DDP under
``torchrun``.

Any ``torch.nn.Module`` with ``loss(batch) -> dict[str, Tensor]`` (key ``"loss"`` is optimised,
the others are logged) trains through :func:`fit`; see :mod:`latentcv.training.trainer` for the
full contract.
"""

from latentcv.training.checkpoint import load_checkpoint, load_weights, save_checkpoint
from latentcv.training.config import TrainConfig
from latentcv.training.seeding import seed_everything
from latentcv.training.trainer import EpochHook, Trainer, TrainResult, fit

__all__ = [
    "EpochHook",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "fit",
    "load_checkpoint",
    "load_weights",
    "save_checkpoint",
    "seed_everything",
]
