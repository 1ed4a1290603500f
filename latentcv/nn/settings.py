"""Settings of ``latentcv train``: model, loss, stages and the trainer's options, in one file.

A YAML or JSON config has up to four sections, each naming only what it changes::

    model:   {latent_dim: 8, pooling: seeds, cutoff: 0.6, ...}     # EncoderConfig
    loss:    {profile: 1.0, adjacency: 0.5, ...}                   # LossWeights
    stages:  {molecule_epochs: 5, freeze_stage_one: true, ...}     # StageSettings
    train:   {epochs: 30, batch_size: 8, lr: 1e-3, ...}            # TrainConfig (the trainer's)

Unknown sections or keys are refused with one line naming them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from latentcv.errors import InputError
from latentcv.nn.autoencoder import LossWeights
from latentcv.nn.encoder import EncoderConfig
from latentcv.nn.pooling import POOLINGS
from latentcv.nn.readout import READOUTS
from latentcv.training.config import TrainConfig, read_config_file, typed_from_dict

SECTIONS = ("model", "loss", "stages", "train")


@dataclass
class StageSettings:
    """How the two training stages run.

    Attributes
    ----------
    molecule_epochs : int
        Epochs of the molecule autoencoder (stage 1) before the configuration autoencoder; 0 skips it.
    freeze_stage_one : bool
        Freeze the stage-1 modules in stage 2 (else fine-tune them).
    variational : bool
        VAE: sample z in training and add the KL term.
    use_charges : bool
        Read partial charges as atom features (needs an OpenMM System XML).
    valid_fraction : float
        Frames held out for validation and for the reported separation accuracy.
    views : int
        Symmetry-equivalent views of each frame whose latents the configuration stage averages
        (Wren-style, :mod:`latentcv.nn.views`; random views in training); 1 is off. Each
        configuration step costs about ``views`` times more; the saved model is the plain encoder.
    crystallinity_epochs : int
        Epochs of the crystallinity stage after the configuration stage (needs ``model.crystallinity``):
        the per-molecule crystallinity p_i fitted to per-molecule labels; 0 skips it.
    crystallinity_fine_tune : bool
        In the crystallinity stage, also train the configuration stage's modules (on the
        crystallinity term plus the configuration loss); else only the readout of p_i.
    crystal_label, melt_label : str
        The phase labels that mean p_i = 1 and p_i = 0; molecules with other labels are not fitted.
    """

    molecule_epochs: int = 3
    freeze_stage_one: bool = True
    variational: bool = False
    use_charges: bool = False
    valid_fraction: float = 0.2
    views: int = 1
    crystallinity_epochs: int = 0
    crystallinity_fine_tune: bool = True
    crystal_label: str = "crystal"
    melt_label: str = "melt"


@dataclass
class Settings:
    """Everything ``latentcv train`` is configured with."""

    model: EncoderConfig = field(default_factory=EncoderConfig)
    loss: LossWeights = field(default_factory=LossWeights)
    stages: StageSettings = field(default_factory=StageSettings)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=20, batch_size=8, valid_fraction=0.0))

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {"model": asdict(self.model), "loss": asdict(self.loss), "stages": asdict(self.stages),
                "train": self.train.to_dict()}

    @classmethod
    def load(cls, path: str | Path | None = None, overrides: dict[str, dict[str, Any]] | None = None) -> Settings:
        """Defaults, then the file's sections, then ``overrides`` (``None`` values ignored).

        Raises
        ------
        InputError
            On an unknown section or option, or a value of the wrong type or range.
        """
        values: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        if path is not None:
            raw = read_config_file(path)
            unknown = sorted(set(raw) - set(SECTIONS))
            if unknown:
                raise InputError(
                    f"unknown config section(s) {', '.join(unknown)} in {path} (known: {', '.join(SECTIONS)})"
                )
            for section, content in raw.items():
                if not isinstance(content, dict):
                    raise InputError(f"config section {section} in {path} must be a mapping")
                values[section].update(content)
        for section, content in (overrides or {}).items():
            values[section].update({k: v for k, v in content.items() if v is not None})
        defaults = cls()
        settings = cls(
            model=typed_from_dict(EncoderConfig, {**asdict(defaults.model), **values["model"]}, "model"),
            loss=typed_from_dict(LossWeights, {**asdict(defaults.loss), **values["loss"]}, "loss"),
            stages=typed_from_dict(StageSettings, {**asdict(defaults.stages), **values["stages"]}, "stages"),
            train=TrainConfig.from_dict({**defaults.train.to_dict(), **values["train"]}),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Raise InputError naming the first option out of range."""
        m, s = self.model, self.stages
        rules = [
            ("model.pooling", m.pooling in POOLINGS, f"one of {', '.join(POOLINGS)}"),
            ("model.cutoff", 0 < m.switch_on < m.cutoff, "larger than model.switch_on > 0"),
            ("model.heads", m.node_dim % m.heads == 0 and m.atom_dim % m.heads == 0,
             "a divisor of atom_dim and node_dim"),
            ("model.latent_dim", m.latent_dim >= 1, "at least 1"),
            ("model.min_seeds", 1 <= m.min_seeds <= m.seeds, "between 1 and model.seeds"),
            ("stages.molecule_epochs", s.molecule_epochs >= 0, "non-negative"),
            ("stages.valid_fraction", 0 < s.valid_fraction < 1, "in (0, 1)"),
            ("stages.views", s.views >= 1, "at least 1"),
            ("model.readout", m.readout in READOUTS, f"one of {', '.join(READOUTS)}"),
            ("stages.crystallinity_epochs",
             s.crystallinity_epochs >= 0 and (m.crystallinity or s.crystallinity_epochs == 0),
             "non-negative, and 0 unless model.crystallinity is true"),
        ]
        for name, ok, expected in rules:
            if not ok:
                section, key = name.split(".")
                raise InputError(f"option {name} must be {expected}, got {getattr(getattr(self, section), key)!r}")

    def with_train(self, **changes: Any) -> Settings:
        return replace(self, train=self.train.replace(**changes))
