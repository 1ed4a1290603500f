"""An exported CV folder: its file names, and reading it (:func:`load`, :class:`ExportedCV`).

:mod:`latentcv.engines.export` writes it and describes what each file holds; the engines read it
here: ``metadata.json`` (:data:`METADATA`), one ``openmm_cv<k>.pt`` per CV component
(:func:`openmm_file`), ``plumed_cv.ptc`` (:data:`PLUMED_MODEL`) and ``plumed.dat``
(:data:`PLUMED_INPUT`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from latentcv.cv.stats import ComponentStats
from latentcv.errors import InputError
from latentcv.readers import check_digest, file_digest, read_json_object, reading

METADATA = "metadata.json"
PLUMED_MODEL = "plumed_cv.ptc"
PLUMED_INPUT = "plumed.dat"
#: The same with OPES_METAD instead of METAD.
PLUMED_OPES_INPUT = "plumed_opes.dat"


def openmm_file(component: int) -> str:
    """File name of the OpenMM module of CV component ``component``."""
    return f"openmm_cv{component}.pt"


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
        return _load_script(self.openmm_path(k), "TorchScript CV for openmm-torch")

    def plumed_module(self) -> torch.jit.ScriptModule:
        """The scripted PLUMED module (``forward(x[1, 3 n + 9]) -> [1, n_cv]``)."""
        return _load_script(self.folder / PLUMED_MODEL, "TorchScript CV for PLUMED's PYTORCH_MODEL")

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
    metadata = read_json_object(meta, "CV metadata file of `latentcv export`")
    if metadata.get("format") != "latentcv-cv/1":
        raise InputError(f"{meta} is not a latentcv CV (format {metadata.get('format')!r})")
    cv = ExportedCV(path, metadata)
    with reading(meta, "CV metadata file of `latentcv export`"):  # the fields every reader uses
        _ = cv.n_particles, cv.atoms, cv.names, [cv.openmm_path(k) for k in range(cv.n_components)]
        digests = dict(metadata.get("file_sha256", {}))  # exports of earlier versions have none
    for name, recorded in digests.items():
        file = path / name
        if not file.is_file():
            raise InputError(f"{file} is missing from the exported CV folder: run `latentcv export` again")
        check_digest(file, "exported TorchScript CV", recorded, file_digest(file))
    return cv


def _load_script(path: Path, what: str) -> torch.jit.ScriptModule:
    if not path.is_file():
        raise InputError(f"{path} is missing from the exported CV folder: run `latentcv export` again")
    with reading(path, what):
        return torch.jit.load(str(path), map_location="cpu")
