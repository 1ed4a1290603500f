"""A trained model on disk (``RUN/model.pt``), independent of the system size it was trained on.

The file holds the encoder's configuration and weights (without the buffers that the encoder
declares as its topology's, :data:`HierarchicalEncoder.TOPOLOGY_BUFFERS`), the element vocabulary,
whether charges are read, the phase label names, a training summary and the SHA-256 of all that
(:func:`latentcv.readers.content_digest`), checked on reading. Loading it against any topology of
the same chemistry gives an encoder ready for that system.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from latentcv.atomic import atomic_file
from latentcv.data.features import MolecularTopology
from latentcv.errors import InputError
from latentcv.nn.encoder import EncoderConfig, HierarchicalEncoder
from latentcv.nn.inputs import EncoderInputs, encoder_inputs, feature_dim
from latentcv.readers import check_digest, content_digest, reading

MODEL_FILE = "model.pt"
FORMAT = "latentcv-model/1"


@dataclass
class ModelBundle:
    """A trained encoder and what it needs to be rebuilt.

    Attributes
    ----------
    config : EncoderConfig
    vocabulary : list of str
        Element vocabulary of the atom features.
    use_charges : bool
    state : dict
        Encoder weights and non-topology buffers.
    label_names : list of str
        Phase labels of the training data, in label-index order.
    summary : dict
        Training summary (frames, systems, metrics).
    """

    config: EncoderConfig
    vocabulary: list[str]
    use_charges: bool
    state: dict[str, torch.Tensor]
    label_names: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def encoder(self, molecular: MolecularTopology) -> tuple[HierarchicalEncoder, EncoderInputs]:
        """The encoder with this bundle's weights and the given topology (any system size).

        Raises
        ------
        InputError
            When the topology's elements are not the model's vocabulary.
        """
        if list(molecular.vocabulary) != self.vocabulary:
            raise InputError(
                f"the topology's elements {molecular.vocabulary} differ from the model's {self.vocabulary}: "
                "read it with the model's vocabulary"
            )
        inputs = encoder_inputs(molecular, self.use_charges)
        encoder = HierarchicalEncoder(feature_dim(self.vocabulary), self.config)
        encoder.set_topology(*inputs.topology())
        missing, unexpected = encoder.load_state_dict(self.state, strict=False)
        if unexpected or set(missing) - set(HierarchicalEncoder.TOPOLOGY_BUFFERS):
            raise InputError(f"model weights do not fit the encoder (missing {missing}, unexpected {unexpected})")
        return encoder.eval(), inputs


def save_bundle(
    path: str | os.PathLike[str],
    encoder: HierarchicalEncoder,
    vocabulary: list[str],
    use_charges: bool,
    label_names: list[str],
    summary: dict[str, Any],
) -> Path:
    """Write a bundle atomically."""
    state = {k: v.detach().cpu() for k, v in encoder.state_dict().items() if k not in encoder.TOPOLOGY_BUFFERS}
    payload = {
        "format": FORMAT,
        "config": encoder.config.to_dict(),
        "vocabulary": list(vocabulary),
        "use_charges": use_charges,
        "state": state,
        "label_names": list(label_names),
        "summary": summary,
    }
    with atomic_file(path) as temporary:
        torch.save({**payload, "sha256": content_digest(payload)}, temporary)
    return Path(path)


def load_bundle(path: str | os.PathLike[str]) -> ModelBundle:
    """Read ``model.pt`` (or the ``model.pt`` inside a run folder).

    Raises
    ------
    InputError
        When the file is missing or not a latentcv model.
    """
    target = Path(path)
    if target.is_dir():
        target = target / MODEL_FILE
    if not target.is_file():
        raise InputError(f"no trained model at {target}: run `latentcv train` first")
    with reading(target, "latentcv model"):
        payload = torch.load(target, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError(f"{target} is not a latentcv model file")
    if "sha256" in payload:  # models of earlier versions have none
        recorded = payload.pop("sha256")
        check_digest(target, "latentcv model", recorded, content_digest(payload))
    with reading(target, "latentcv model"):
        return ModelBundle(
            config=EncoderConfig(**payload["config"]),
            vocabulary=list(payload["vocabulary"]),
            use_charges=bool(payload["use_charges"]),
            state=dict(payload["state"]),
            label_names=list(payload["label_names"]),
            summary=dict(payload["summary"]),
        )
