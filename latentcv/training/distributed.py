"""Multi-process data-parallel training under ``torchrun`` (DistributedDataParallel).

``torchrun`` (``python -m torch.distributed.run``) starts one process per device and sets
``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; without them training runs in one process. Every
process trains on its shard of the data (``DistributedSampler``), gradients are averaged by DDP,
metrics are summed across processes here, and only rank 0 writes files and prints.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from latentcv.errors import InputError


@dataclass(frozen=True)
class DistributedContext:
    """Where this process stands in a (possibly one-process) job.

    Attributes
    ----------
    rank, world_size, local_rank : int
        Global rank, number of processes, rank on this node (selects the GPU).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and prints (rank 0)."""
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        """Whether there is more than one process."""
        return self.world_size > 1

    @classmethod
    def from_env(cls) -> DistributedContext:
        """The context ``torchrun`` describes in the environment (one process when it is absent)."""
        return cls(
            rank=int(os.environ.get("RANK", 0)),
            world_size=int(os.environ.get("WORLD_SIZE", 1)),
            local_rank=int(os.environ.get("LOCAL_RANK", 0)),
        )


def select_device(name: str, ctx: DistributedContext) -> torch.device:
    """The device to train on: ``auto`` takes CUDA when present; under DDP, GPU ``LOCAL_RANK``.

    Raises
    ------
    InputError
        When ``cuda`` is asked for and no CUDA device is available.
    """
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("training device 'cuda' was requested but no CUDA device is available")
    if name == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    device = torch.device("cuda", ctx.local_rank)
    torch.cuda.set_device(device)
    return device


def init_process_group(ctx: DistributedContext, device: torch.device) -> None:
    """Join the process group (NCCL on CUDA, gloo on the CPU) unless it exists or is not needed.

    The group lives as long as the process (it is destroyed at exit), so that several trainings in
    one job (e.g. the two stages of the autoencoder) share it.
    """
    if not ctx.is_distributed or dist.is_initialized():
        return
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    atexit.register(_destroy_process_group)


def _destroy_process_group() -> None:
    """Leave the process group if it still exists (at interpreter exit)."""
    if dist.is_initialized():
        dist.destroy_process_group()


class LossModule(nn.Module):
    """Exposes ``model.loss`` as ``forward``, so that DDP's forward hooks (gradient
    synchronisation) run around the loss computation.

    Parameters
    ----------
    model : nn.Module
        Any module with ``loss(batch) -> dict[str, Tensor]``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Any) -> Mapping[str, Tensor]:
        """The model's loss terms for ``batch``."""
        return self.model.loss(batch)


def wrap_model(
    model: nn.Module, ctx: DistributedContext, device: torch.device, find_unused_parameters: bool = False
) -> nn.Module:
    """``LossModule(model)``, inside ``DistributedDataParallel`` when there are several processes.

    DDP broadcasts rank 0's parameters and buffers at construction, so all ranks start equal.
    """
    module = LossModule(model)
    if not ctx.is_distributed:
        return module
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids, find_unused_parameters=find_unused_parameters)


def all_reduce_sum(values: Tensor, ctx: DistributedContext) -> Tensor:
    """The element-wise sum of ``values`` over all processes (``values`` itself in one process)."""
    if ctx.is_distributed:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def all_gather_objects(obj: Any, ctx: DistributedContext) -> list[Any]:
    """Every process's ``obj``, indexed by rank (``[obj]`` in one process)."""
    if not ctx.is_distributed:
        return [obj]
    gathered: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(gathered, obj)
    return gathered
