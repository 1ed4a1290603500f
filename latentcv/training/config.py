"""The training configuration: one flat dataclass, read from YAML/JSON, merged with CLI overrides.

Every field has a default, so a configuration file only names what it changes. Unknown keys and
out-of-range values raise :class:`~latentcv.errors.InputError` with the offending key in the
message; a typo in a YAML file must not silently train with a default.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from latentcv.errors import InputError
from latentcv.readers import reading

#: Learning-rate schedules that :func:`latentcv.training.schedules.build_scheduler` knows.
SCHEDULES = ("cosine", "exponential", "step", "constant")
#: Values of ``TrainConfig.device``.
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that controls a training run (the model's own hyper-parameters live elsewhere).

    Attributes
    ----------
    epochs : int
        Passes over the training set.
    batch_size : int
        Samples per batch (per process under DDP).
    lr : float
        Peak learning rate of AdamW, reached at the end of the warmup.
    weight_decay : float
        AdamW decoupled weight decay, applied to parameters with two or more dimensions
        (weights), not to biases and normalisation scales.
    warmup_epochs, warmup_steps : float, int
        Linear warmup from ``lr / (w + 1)`` to ``lr`` over ``w`` optimizer steps; give it in
        epochs (fractions allowed) or in steps, not both.
    schedule : str
        Decay after the warmup: ``cosine`` (reaching ``min_lr`` when the last epoch ends), ``exponential``
        (times ``gamma`` per epoch, applied smoothly at every step), ``step`` (times
        ``step_gamma`` every ``step_epochs`` epochs) or ``constant``.
    min_lr, gamma, step_epochs, step_gamma : float, float, int, float
        Parameters of the schedules above.
    grad_accum : int
        Batches whose gradients are summed before one optimizer step.
    clip_norm : float
        Maximum global gradient norm; 0 turns clipping off.
    ema_decay : float
        Decay of the exponential moving average of the weights, updated at every optimizer step;
        0 turns it off. When on, validation, early stopping and ``best.pt`` use the EMA weights.
    valid_fraction : float
        Share of the training set held out for validation when no validation set is given.
    patience : int
        Epochs without an improvement of the monitored loss before training stops; 0 turns early
        stopping off.
    min_delta : float
        How much the monitored loss must drop to count as an improvement.
    checkpoint_every : int
        Also keep ``epoch_NNNN.pt`` every this many epochs; 0 keeps only ``latest.pt`` and
        ``best.pt``.
    seed : int
        Seeds Python, NumPy and torch, the shuffling and the validation split.
    device : str
        ``auto`` (CUDA when available, else the CPU), ``cpu`` or ``cuda``.
    num_workers : int
        DataLoader worker processes.
    threads : int
        Torch CPU threads while training (:func:`latentcv.training.threads.torch_threads`); 0 keeps
        torch's own setting (one per core). Graphs of a few hundred molecules train fastest on one,
        as torchrun runs each process.
    find_unused_parameters : bool
        Passed to ``DistributedDataParallel``: set it when some trainable parameters get no
        gradient from a loss (e.g. a decoder that a stage does not use).
    """

    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-2
    warmup_epochs: float = 0.0
    warmup_steps: int = 0
    schedule: str = "cosine"
    min_lr: float = 0.0
    gamma: float = 0.95
    step_epochs: int = 30
    step_gamma: float = 0.5
    grad_accum: int = 1
    clip_norm: float = 0.0
    ema_decay: float = 0.0
    valid_fraction: float = 0.1
    patience: int = 0
    min_delta: float = 0.0
    checkpoint_every: int = 0
    seed: int = 0
    device: str = "auto"
    num_workers: int = 0
    threads: int = 1
    find_unused_parameters: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, coerce_option(f.name, f.type, getattr(self, f.name)))
        _check_ranges(self)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a plain ``{name: value}`` dict (YAML/JSON-serialisable)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """Build a configuration from a mapping, refusing unknown keys.

        Raises
        ------
        InputError
            On an unknown key or a value of the wrong type or range.
        """
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            known = ", ".join(f.name for f in fields(cls))
            raise InputError(f"unknown training option(s) {', '.join(unknown)} (known: {known})")
        return cls(**values)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> TrainConfig:
        """Read a YAML or JSON file (or start from the defaults) and apply overrides on top.

        Parameters
        ----------
        path : path-like, optional
            A ``.yaml``/``.yml`` or ``.json`` file holding a mapping of options.
        overrides : mapping, optional
            Options that win over the file, e.g. from the command line; ``None`` values are
            ignored, so unset argparse options can be passed as they are.
        """
        values = read_config_file(path) if path is not None else {}
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls.from_dict(values)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some options changed (validated like a new configuration)."""
        return self.from_dict({**self.to_dict(), **changes})

    def save(self, directory: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``config.yaml`` and ``config.json`` into ``directory``; return their paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        yaml_path, json_path = directory / "config.yaml", directory / "config.json"
        yaml_path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))
        json_path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return yaml_path, json_path


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The mapping stored in a YAML or JSON configuration file.

    Raises
    ------
    InputError
        When the file is missing, does not parse, or does not hold a mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"cannot read training config {path}: no such file")
    with reading(path, "training config (YAML or JSON)"):
        text = path.read_text()
        values = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise InputError(f"training config {path} must hold a mapping of options, not {type(values).__name__}")
    return values


def coerce_option(name: str, type_name: str, value: Any) -> Any:
    """``value`` as the field's type. Strings are parsed (CLI values, and YAML reads ``1e-3``
    without a dot as a string); bools are not taken for numbers, nor fractional floats for ints."""
    kind = {"int": int, "float": float, "bool": bool, "str": str}[type_name]
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        if isinstance(value, bool):
            return value
    elif kind is str:
        if isinstance(value, str):
            return value
    elif not isinstance(value, bool):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if kind is float and not math.isnan(number):
            return number
        if kind is int and math.isfinite(number) and number == int(number):
            return int(number)
    raise InputError(f"option {name} must be {'an' if kind is int else 'a'} {type_name}, got {value!r}")


def typed_from_dict(cls: type, values: Mapping[str, Any], section: str) -> Any:
    """An instance of the dataclass ``cls`` from a mapping: unknown keys refused, values coerced to
    the fields' types (int, float, bool, str) as :func:`coerce_option` does.

    Raises
    ------
    InputError
        Naming the section and the offending key.
    """
    known = {f.name: f.type for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(f"unknown {section} option(s) {', '.join(unknown)} (known: {', '.join(known)})")
    return cls(**{k: coerce_option(f"{section}.{k}", known[k], v) for k, v in values.items()})


def _check_ranges(config: TrainConfig) -> None:
    """Raise :class:`InputError` naming the first option whose value is out of range."""
    rules = [
        ("epochs", config.epochs >= 1, "at least 1"),
        ("batch_size", config.batch_size >= 1, "at least 1"),
        ("threads", config.threads >= 0, "0 (torch's default) or more"),
        ("lr", config.lr > 0 and math.isfinite(config.lr), "a positive number"),
        ("weight_decay", config.weight_decay >= 0, "non-negative"),
        ("warmup_epochs", config.warmup_epochs >= 0, "non-negative"),
        ("warmup_steps", config.warmup_steps >= 0, "non-negative"),
        ("warmup_steps", not (config.warmup_epochs and config.warmup_steps), "0 when warmup_epochs is set (give one)"),
        ("schedule", config.schedule in SCHEDULES, f"one of {', '.join(SCHEDULES)}"),
        ("min_lr", 0 <= config.min_lr <= config.lr, "between 0 and lr"),
        ("gamma", 0 < config.gamma <= 1, "in (0, 1]"),
        ("step_epochs", config.step_epochs >= 1, "at least 1"),
        ("step_gamma", 0 < config.step_gamma <= 1, "in (0, 1]"),
        ("grad_accum", config.grad_accum >= 1, "at least 1"),
        ("clip_norm", config.clip_norm >= 0, "non-negative (0 = off)"),
        ("ema_decay", 0 <= config.ema_decay < 1, "in [0, 1) (0 = off)"),
        ("valid_fraction", 0 <= config.valid_fraction < 1, "in [0, 1)"),
        ("patience", config.patience >= 0, "non-negative (0 = off)"),
        ("min_delta", config.min_delta >= 0, "non-negative"),
        ("checkpoint_every", config.checkpoint_every >= 0, "non-negative (0 = off)"),
        ("seed", 0 <= config.seed < 2**32, "in [0, 2**32)"),
        ("device", config.device in DEVICES, f"one of {', '.join(DEVICES)}"),
        ("num_workers", config.num_workers >= 0, "non-negative"),
    ]
    for name, ok, expected in rules:
        if not ok:
            raise InputError(f"training option {name} must be {expected}, got {getattr(config, name)!r}")
