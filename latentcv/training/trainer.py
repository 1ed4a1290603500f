"""The training loop, independent of the model: anything with ``loss(batch) -> dict`` trains here.

Contract for the model
----------------------
``model`` is a ``torch.nn.Module`` with a method ``loss(batch) -> Mapping[str, Tensor]``:

* ``batch`` is what the DataLoader yields (``collate_fn`` applied), moved to the training
  device: tensors, PyG ``Data``/``Batch`` and anything with ``.to(device)``, nested in tuples,
  lists and dicts.
* The mapping holds scalar tensors; ``"loss"`` is the objective that is back-propagated (a mean
  over the batch); every other key is logged as a metric (``train_<key>``, ``valid_<key>``).
* Only parameters with ``requires_grad=True`` are optimised: freeze a stage by turning it off
  before building the :class:`Trainer`.
* Validation calls ``loss`` under ``torch.no_grad()`` and ``model.eval()``, on the EMA copy of
  the weights when ``ema_decay > 0``.

Under DDP the loss is computed through ``DistributedDataParallel(LossModule(model))(batch)``, so
``model.loss`` must compute everything from ``batch`` through the model's submodules.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.nn.utils import clip_grad_norm_
from torch.utils.data import DataLoader, Dataset, DistributedSampler, random_split
from tqdm.auto import tqdm

from latentcv.errors import InputError, LatentCVError
from latentcv.training.checkpoint import load_checkpoint, save_checkpoint
from latentcv.training.config import TrainConfig
from latentcv.training.distributed import (
    DistributedContext,
    all_gather_objects,
    all_reduce_sum,
    init_process_group,
    select_device,
    wrap_model,
)
from latentcv.training.ema import build_ema
from latentcv.training.interrupt import GracefulStop
from latentcv.training.metrics import Row, columns, format_table_header, format_table_row, plot_losses, write_csv
from latentcv.training.schedules import build_scheduler
from latentcv.training.seeding import rng_state, seed_everything, set_rng_state
from latentcv.training.threads import torch_threads

log = logging.getLogger(__name__)

#: ``hook(trainer, epoch)`` called on rank 0 after each epoch's checkpoints and files are written.
EpochHook = Callable[["Trainer", int], None]


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced.

    Attributes
    ----------
    run_dir : Path
        Directory holding the files below.
    epochs : int
        Epochs completed (over all resumptions).
    steps : int
        Optimizer steps done.
    best_epoch : int or None
        Epoch of the lowest monitored loss (``valid_loss``, or ``train_loss`` without a
        validation set); None when no epoch completed.
    best_metrics, last_metrics : dict
        The metrics rows (``epoch``, ``lr``, ``time``, ``train_*``, ``valid_*``) of that epoch
        and of the last completed one.
    stopped_early : bool
        Early stopping ended the run.
    interrupted : bool
        SIGINT/SIGTERM ended the run; ``latest.pt`` holds everything needed to resume.
    paths : dict
        ``latest``, ``best``, ``metrics`` (csv), ``plot`` (loss.png), ``config_yaml``,
        ``config_json``: the files of the run (some may not exist, e.g. after an interruption in
        the first epoch).
    """

    run_dir: Path
    epochs: int
    steps: int
    best_epoch: int | None
    best_metrics: dict[str, float]
    last_metrics: dict[str, float]
    stopped_early: bool
    interrupted: bool
    paths: dict[str, Path] = field(default_factory=dict)


@dataclass
class _Progress:
    """The mutable part of a run that a checkpoint saves besides the torch objects."""

    epoch: int = 0
    batch: int = 0
    step: int = 0
    running: dict[str, Any] = field(default_factory=dict)
    best_loss: float = math.inf
    best_epoch: int | None = None
    bad_epochs: int = 0
    history: list[Row] = field(default_factory=list)


class Trainer:
    """Trains ``model`` with AdamW on ``train_set``, validating on ``valid_set`` every epoch.

    Parameters
    ----------
    model : nn.Module
        Satisfies the contract in this module's docstring. It is moved to the training device.
    train_set : Dataset
        A map-style dataset (``__len__`` and ``__getitem__``).
    valid_set : Dataset or None
        When None, ``config.valid_fraction`` of ``train_set`` is held out (a seeded split);
        with ``valid_fraction = 0`` too, there is no validation and the train loss is monitored.
    config : TrainConfig
        Optimisation, schedule, checkpointing and device options.
    run_dir : path-like
        Where checkpoints, metrics and the config are written (created if missing).
    collate_fn : callable, optional
        Passed to the DataLoaders (e.g. a PyG collater); torch's default collation otherwise.
    hooks : sequence of callables, optional
        ``hook(trainer, epoch)`` after each epoch, on rank 0 only (no collective operations in
        it); e.g. a latent-space plot from :attr:`eval_model`.
    verbose : bool
        Print the per-epoch table and the progress bar (rank 0 only).

    Raises
    ------
    InputError
        On an empty dataset, a model without trainable parameters, or an unavailable device.
    """

    def __init__(
        self,
        model: nn.Module,
        train_set: Dataset,
        valid_set: Dataset | None,
        config: TrainConfig,
        run_dir: str | os.PathLike[str],
        collate_fn: Callable[[list[Any]], Any] | None = None,
        hooks: Sequence[EpochHook] = (),
        verbose: bool = True,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.hooks = list(hooks)
        self.verbose = verbose
        self.ctx = DistributedContext.from_env()
        self.device = select_device(config.device, self.ctx)
        init_process_group(self.ctx, self.device)
        seed_everything(config.seed + self.ctx.rank)
        self.train_set, self.valid_set = _split(train_set, valid_set, config)
        self.collate_fn = collate_fn
        self.model = model.to(self.device)
        trainable = [p for p in model.parameters() if p.requires_grad]
        if not trainable:
            raise InputError("the model has no parameter with requires_grad=True: nothing to train")
        self.trainable = trainable
        self.optimizer = torch.optim.AdamW(_decay_groups(trainable, config.weight_decay), lr=config.lr)
        self.batches_per_epoch = math.ceil(len(self._sampler(self.train_set, True, 0)) / config.batch_size)
        self.steps_per_epoch = math.ceil(self.batches_per_epoch / config.grad_accum)
        self.scheduler = build_scheduler(self.optimizer, config, self.steps_per_epoch)
        self.net = wrap_model(model, self.ctx, self.device, config.find_unused_parameters)
        self.ema = build_ema(model, config.ema_decay) if config.ema_decay > 0 else None
        self.progress = _Progress()
        self._stop = GracefulStop()
        self._header_printed = False

    @property
    def eval_model(self) -> nn.Module:
        """The weights validation judges: the EMA copy when EMA is on, else the model."""
        return self.ema.module if self.ema is not None else self.model

    def request_stop(self) -> None:
        """Stop at the next optimizer-step boundary and write ``latest.pt``, as on Ctrl-C.

        Callable from a hook or a model's ``loss``; the run ends with ``interrupted=True`` and
        ``fit(resume=True)`` continues it exactly.
        """
        self._stop.requested = True

    @property
    def history(self) -> list[Row]:
        """Metrics rows of the completed epochs."""
        return self.progress.history

    @property
    def paths(self) -> dict[str, Path]:
        """The files of this run, by role."""
        names = {
            "latest": "latest.pt",
            "best": "best.pt",
            "metrics": "metrics.csv",
            "plot": "loss.png",
            "config_yaml": "config.yaml",
            "config_json": "config.json",
        }
        return {role: self.run_dir / name for role, name in names.items()}

    def fit(self, resume: bool = False) -> TrainResult:
        """Train until ``config.epochs``, early stopping or a signal; return what was achieved.

        Parameters
        ----------
        resume : bool
            Continue from ``run_dir/latest.pt`` (model, optimizer, scheduler, EMA, counters,
            RNG states, metrics history, and the position inside an interrupted epoch). The
            ``config`` given now is used; options that differ from the checkpoint's are logged.

        Raises
        ------
        InputError
            When resuming without a ``latest.pt``, or starting afresh over one.
        LatentCVError
            When the training loss becomes NaN or infinite.
        """
        latest = self.paths["latest"]
        if resume:
            self._restore(load_checkpoint(latest, map_location=self.device))
        elif latest.exists():
            raise InputError(
                f"{self.run_dir} already holds a run ({latest.name}): resume it or choose another directory"
            )
        if self.ctx.is_main:
            self.config.save(self.run_dir)
        with self._stop, torch_threads(self.config.threads):
            return self._loop()

    def _loop(self) -> TrainResult:
        """Epochs from the current position to the end."""
        cfg, prog = self.config, self.progress
        interrupted = stopped_early = False
        if self.verbose and self.ctx.is_main and prog.epoch < cfg.epochs:
            n_valid = len(self.valid_set) if self.valid_set is not None else 0
            tqdm.write(
                f"training on {self.device} x{self.ctx.world_size}: {len(self.train_set)} train / {n_valid} valid"
                f" samples, {self.batches_per_epoch} batches and {self.steps_per_epoch} steps an epoch"
            )
        for epoch in range(prog.epoch + 1, cfg.epochs + 1):
            stopped_early = cfg.patience > 0 and prog.bad_epochs >= cfg.patience
            if stopped_early:
                break
            trained = self._train_epoch(epoch)
            if trained is None:
                interrupted = True
                self._write_checkpoints(["latest"])
                break
            self._end_epoch(epoch, *trained, self._validate())
            if self._stop_requested():
                interrupted = True
                break
        if self.verbose and self.ctx.is_main and interrupted:
            tqdm.write(f"interrupted: resume from {self.paths['latest']}")
        return self._result(stopped_early, interrupted)

    def _train_epoch(self, epoch: int) -> tuple[dict[str, float], float] | None:
        """One pass over the training set from the saved position: the mean of each loss term and
        the seconds it took, or None when a signal stopped the epoch (its position is kept)."""
        cfg, prog = self.config, self.progress
        n_batches = self.batches_per_epoch
        running = prog.running or {"sums": {}, "count": 0, "time": 0.0}
        t0 = time.perf_counter() - running["time"]
        loader = self._loader(self.train_set, shuffle=True, epoch=epoch, skip_batches=prog.batch)
        self.net.train()
        bar = tqdm(
            total=n_batches,
            initial=prog.batch,
            desc=f"epoch {epoch}/{cfg.epochs}",
            leave=False,
            disable=None if self.verbose and self.ctx.is_main else True,
        )
        with bar:
            for i, batch in enumerate(loader, start=prog.batch):
                group_start = i - i % cfg.grad_accum
                group_size = min(cfg.grad_accum, n_batches - group_start)
                last_in_group = i + 1 == group_start + group_size
                with self._sync_context(last_in_group):
                    terms = self.net(_to_device(batch, self.device))
                    loss = _objective(terms, epoch, i)
                    (loss / group_size).backward()
                for name, value in terms.items():
                    running["sums"][name] = running["sums"].get(name, 0.0) + _scalar(value)
                running["count"] += 1
                bar.update(1)
                bar.set_postfix(loss=f"{_scalar(loss):.4g}")
                if last_in_group:
                    self._optimizer_step()
                    prog.batch = i + 1
                    if prog.batch < n_batches and self._stop_requested():
                        running["time"] = time.perf_counter() - t0
                        prog.running = running
                        return None
        return self._mean(running["sums"], running["count"]), time.perf_counter() - t0

    def _sync_context(self, sync: bool) -> contextlib.AbstractContextManager[None]:
        """DDP's ``no_sync`` for the batches of an accumulation group before its last one."""
        if sync or not isinstance(self.net, DistributedDataParallel):
            return contextlib.nullcontext()
        return self.net.no_sync()

    def _optimizer_step(self) -> None:
        """Clip, step the optimizer and the schedule, update the EMA."""
        if self.config.clip_norm > 0:
            clip_grad_norm_(self.trainable, self.config.clip_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        self.progress.step += 1
        if self.ema is not None:
            self.ema.update_parameters(self.model)

    @torch.no_grad()
    def _validate(self) -> dict[str, float] | None:
        """Mean loss terms of :attr:`eval_model` over the validation set (None without one)."""
        if self.valid_set is None:
            return None
        model = self.eval_model
        model.eval()
        sums: dict[str, float] = {}
        count = 0
        for batch in self._loader(self.valid_set, shuffle=False, epoch=0):
            for name, value in model.loss(_to_device(batch, self.device)).items():
                sums[name] = sums.get(name, 0.0) + _scalar(value)
            count += 1
        return self._mean(sums, count)

    def _mean(self, sums: Mapping[str, float], count: int) -> dict[str, float]:
        """Per-batch means of summed metrics, pooled over all processes."""
        names = sorted(sums)
        totals = torch.tensor([*(sums[n] for n in names), count], dtype=torch.float64, device=self.device)
        totals = all_reduce_sum(totals, self.ctx).tolist()
        return {name: total / totals[-1] for name, total in zip(names, totals)}

    def _end_epoch(self, epoch: int, train: dict[str, float], seconds: float, valid: dict[str, float] | None) -> None:
        """Record the epoch, update best/early stopping, write checkpoints and files, run hooks."""
        cfg, prog = self.config, self.progress
        row: Row = {"epoch": epoch, "lr": self.scheduler.get_last_lr()[0], "time": seconds}
        row |= {f"train_{k}": v for k, v in train.items()}
        row |= {f"valid_{k}": v for k, v in (valid or {}).items()}
        prog.history.append(row)
        prog.epoch, prog.batch, prog.running = epoch, 0, {}
        monitored = row["valid_loss"] if valid is not None else row["train_loss"]
        improved = monitored < prog.best_loss - cfg.min_delta
        if improved:
            prog.best_loss, prog.best_epoch, prog.bad_epochs = monitored, epoch, 0
        else:
            prog.bad_epochs += 1
        roles = ["latest"] + (["best"] if improved else [])
        if cfg.checkpoint_every and epoch % cfg.checkpoint_every == 0:
            roles.append(f"epoch_{epoch:04d}")
        self._write_checkpoints(roles)
        if not self.ctx.is_main:
            return
        write_csv(self.paths["metrics"], prog.history)
        plot_losses(self.paths["plot"], prog.history)
        if self.verbose:
            names = columns(prog.history)
            if not self._header_printed:
                tqdm.write(format_table_header(names))
                self._header_printed = True
            tqdm.write(format_table_row(row, names) + ("  *" if improved else ""))
        for hook in self.hooks:
            hook(self, epoch)

    def _stop_requested(self) -> bool:
        """Whether any process received SIGINT/SIGTERM (all processes agree on the answer)."""
        flag = torch.tensor([float(self._stop.requested)], device=self.device)
        return bool(all_reduce_sum(flag, self.ctx).item() > 0)

    def _state(self) -> dict[str, Any]:
        """Everything a checkpoint holds (see :mod:`latentcv.training.checkpoint`)."""
        prog = self.progress
        return {
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "epoch": prog.epoch,
            "batch": prog.batch,
            "step": prog.step,
            "running": prog.running,
            "best": {"loss": prog.best_loss, "epoch": prog.best_epoch},
            "bad_epochs": prog.bad_epochs,
            "history": prog.history,
            "rng": all_gather_objects(rng_state(), self.ctx),
            "config": self.config.to_dict(),
        }

    def _write_checkpoints(self, roles: Iterable[str]) -> None:
        """Save the current state as ``<role>.pt`` for each role (rank 0 writes)."""
        state = self._state()
        if self.ctx.is_main:
            for role in roles:
                save_checkpoint(self.run_dir / f"{role}.pt", state)

    def _restore(self, state: dict[str, Any]) -> None:
        """Load a checkpoint's state into the model, optimizer, scheduler, EMA and counters."""
        for name, old in state["config"].items():
            new = getattr(self.config, name, None)
            if new != old:
                log.warning("resuming with %s=%r (the checkpoint was trained with %r)", name, new, old)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.ema is not None and state["ema"] is not None:
            self.ema.load_state_dict(state["ema"])
        elif self.ema is not None:  # EMA switched on at resumption: start it from the loaded weights
            self.ema = build_ema(self.model, self.config.ema_decay)
        self.progress = _Progress(
            epoch=state["epoch"],
            batch=state["batch"],
            step=state["step"],
            running=state["running"],
            best_loss=state["best"]["loss"],
            best_epoch=state["best"]["epoch"],
            bad_epochs=state["bad_epochs"],
            history=state["history"],
        )
        set_rng_state(state["rng"][self.ctx.rank % len(state["rng"])])

    def _sampler(self, dataset: Dataset, shuffle: bool, epoch: int) -> DistributedSampler:
        """This process's shard of ``dataset``, reshuffled per epoch from the seed (also in one process)."""
        sampler = DistributedSampler(
            dataset, num_replicas=self.ctx.world_size, rank=self.ctx.rank, shuffle=shuffle, seed=self.config.seed
        )
        sampler.set_epoch(epoch)
        return sampler

    def _loader(self, dataset: Dataset, shuffle: bool, epoch: int, skip_batches: int = 0) -> DataLoader:
        """A DataLoader over this process's shard for ``epoch``, starting after ``skip_batches``.

        The order depends only on the seed and the epoch, and the loader draws its worker seeds
        from its own generator, so resuming inside an epoch sees the same batches and leaves the
        global RNG (dropout and the like) exactly where an uninterrupted run has it.
        """
        cfg = self.config
        indices = list(self._sampler(dataset, shuffle, epoch))[skip_batches * cfg.batch_size :]
        return DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            sampler=indices,
            collate_fn=self.collate_fn,
            num_workers=cfg.num_workers,
            pin_memory=self.device.type == "cuda",
            generator=torch.Generator().manual_seed(cfg.seed + epoch),
        )

    def _result(self, stopped_early: bool, interrupted: bool) -> TrainResult:
        """The :class:`TrainResult` of the run so far."""
        prog = self.progress
        best = next((row for row in prog.history if row["epoch"] == prog.best_epoch), {})
        return TrainResult(
            run_dir=self.run_dir,
            epochs=prog.epoch,
            steps=prog.step,
            best_epoch=prog.best_epoch,
            best_metrics=dict(best),
            last_metrics=dict(prog.history[-1]) if prog.history else {},
            stopped_early=stopped_early,
            interrupted=interrupted,
            paths=self.paths,
        )


def fit(
    model: nn.Module,
    train_set: Dataset,
    valid_set: Dataset | None,
    config: TrainConfig,
    run_dir: str | os.PathLike[str],
    resume: bool = False,
    collate_fn: Callable[[list[Any]], Any] | None = None,
    hooks: Sequence[EpochHook] = (),
    verbose: bool = True,
) -> TrainResult:
    """Train ``model`` and return the outcome: :class:`Trainer` then :meth:`Trainer.fit`.

    See :class:`Trainer` for the parameters and this module's docstring for the model contract.
    """
    trainer = Trainer(model, train_set, valid_set, config, run_dir, collate_fn=collate_fn, hooks=hooks, verbose=verbose)
    return trainer.fit(resume=resume)


def _split(train_set: Dataset, valid_set: Dataset | None, config: TrainConfig) -> tuple[Dataset, Dataset | None]:
    """The train and validation sets, holding out ``valid_fraction`` when no validation set is given."""
    if len(train_set) == 0:
        raise InputError("the training set is empty")
    if valid_set is not None:
        return train_set, (valid_set if len(valid_set) else None)
    if config.valid_fraction == 0:
        return train_set, None
    n_valid = max(1, round(config.valid_fraction * len(train_set)))
    if n_valid >= len(train_set):
        raise InputError(
            f"valid_fraction={config.valid_fraction} leaves no training sample out of {len(train_set)}"
        )
    generator = torch.Generator().manual_seed(config.seed)
    train, valid = random_split(train_set, [len(train_set) - n_valid, n_valid], generator=generator)
    return train, valid


def _decay_groups(parameters: Sequence[nn.Parameter], weight_decay: float) -> list[dict[str, Any]]:
    """AdamW parameter groups: weight decay on matrices and kernels, none on biases and scales."""
    groups = [
        {"params": [p for p in parameters if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in parameters if p.ndim < 2], "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


def _objective(terms: Mapping[str, Tensor], epoch: int, batch: int) -> Tensor:
    """The ``"loss"`` entry of the model's loss dict, checked to be a finite scalar."""
    if "loss" not in terms:
        raise TypeError(f"model.loss(batch) must return a dict with a 'loss' entry, got keys {sorted(terms)}")
    loss = terms["loss"]
    if not torch.isfinite(loss).all():
        raise LatentCVError(
            f"the training loss is {_scalar(loss)} at epoch {epoch}, batch {batch + 1}: lower lr, "
            "set clip_norm, or check the data"
        )
    return loss


def _scalar(value: Tensor | float) -> float:
    """A loss term as a Python float, detached from the graph."""
    return float(value.detach()) if isinstance(value, Tensor) else float(value)


def _to_device(batch: Any, device: torch.device) -> Any:
    """``batch`` with every tensor (or object with ``.to``) inside tuples, lists and dicts on ``device``."""
    if isinstance(batch, Mapping):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # a namedtuple
        return type(batch)(*(_to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(v, device) for v in batch)
    if hasattr(batch, "to"):
        return batch.to(device, non_blocking=True)
    return batch
