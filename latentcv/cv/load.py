"""Read an exported CV folder (see :mod:`latentcv.cv.export` for its layout)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from latentcv.cv.export import METADATA, PLUMED_MODEL, ComponentStats
from latentcv.errors import InputError


@dataclass
class ExportedCV:
    """An exported CV folder.

    Attributes
    ----------
    folder : Path
        The folder.
    metadata : dict
        The content of metadata.json.
    """

    folder: Path
    metadata: dict

    @property
    def n_components(self) -> int:
        return len(self.metadata["components"])

    @property
    def names(self) -> list[str]:
        return [c["name"] for c in self.metadata["components"]]

    @property
    def n_particles(self) -> int:
        return int(self.metadata["n_particles"])

    @property
    def atoms(self) -> list[int]:
        return [int(a) for a in self.metadata["atoms"]]

    @property
    def fixed_bonds(self) -> list[tuple[int, int, float]]:
        """Bonds the MD must constrain, as (particle i, particle j, length in nm): those of a CV
        exported with ``--constrained-bonds``; empty for any other CV."""
        fixed = self.metadata.get("fixed_bonds")
        if not fixed:
            return []
        return [(int(i), int(j), float(length)) for (i, j), length in zip(fixed["pairs"], fixed["lengths_nm"])]

    def stats(self) -> list[ComponentStats]:
        """Training-frame statistics of every component (for METAD and BiasVariable defaults)."""
        return [ComponentStats.from_metadata(c) for c in self.metadata["components"]]

    def component(self, k: int) -> dict:
        """Metadata of CV component k (name, meaning, statistics, sigma, file)."""
        if not 0 <= k < self.n_components:
            raise InputError(f"{self.folder} has CV components 0..{self.n_components - 1}, not {k}")
        return self.metadata["components"][k]

    def openmm_path(self, k: int) -> Path:
        """Path of the TorchScript file of component k for openmm-torch."""
        return self.folder / self.component(k)["openmm_file"]

    def openmm_module(self, k: int = 0) -> torch.jit.ScriptModule:
        """The scripted OpenMM module of component k (``forward(positions[N, 3], box[3, 3])``)."""
        return torch.jit.load(str(self.openmm_path(k)), map_location="cpu")

    def plumed_module(self) -> torch.jit.ScriptModule:
        """The scripted PLUMED module (``forward(x[1, 3 n + 9]) -> [1, n_cv]``)."""
        return torch.jit.load(str(self.folder / PLUMED_MODEL), map_location="cpu")

    def check_particles(self, n_particles: int) -> None:
        """Raise InputError unless the CV was exported for a System of ``n_particles`` particles."""
        if n_particles != self.n_particles:
            raise InputError(
                f"the CV in {self.folder} was exported for {self.n_particles} particles, this system has "
                f"{n_particles}: export it again with this topology (`latentcv export --top ...`)"
            )


def load(folder: str | os.PathLike[str]) -> ExportedCV:
    """Open an exported CV folder.

    Raises
    ------
    InputError
        When the folder or its metadata.json is missing or unreadable.
    """
    path = Path(folder)
    meta = path / METADATA
    if not meta.is_file():
        raise InputError(f"{path} is not an exported CV folder (no {METADATA}); run `latentcv export` first")
    try:
        metadata = json.loads(meta.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"{meta} is not valid JSON: {err}") from err
    if metadata.get("format") != "latentcv-cv/1":
        raise InputError(f"{meta} is not a latentcv CV (format {metadata.get('format')!r})")
    return ExportedCV(path, metadata)
