"""Where the report's CV comes from: an exported CV folder, or a model folder exported per system.

An exported folder (``latentcv export``: metadata.json, openmm_cv*.pt) serves only the system it
was exported for. A model folder (``model.pt`` + ``heads.json`` of ``latentcv train``/``cluster``,
or a shipped model) is exported on the fly for each trajectory's topology, so any system size of
the training chemistry can be reported on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import mdtraj as md

from latentcv.cv.basins import HEADS_FILE
from latentcv.cv.export_run import export_run
from latentcv.data.features import MolecularTopology
from latentcv.engines.export import METADATA
from latentcv.engines.exported import ExportedCV, load
from latentcv.errors import InputError
from latentcv.nn.bundle import MODEL_FILE


class CVSource:
    """Exported CV folders for the report's topologies.

    Parameters
    ----------
    cv : path
        Exported CV folder, or model folder with ``model.pt`` and ``heads.json``.
    scratch : path
        Folder for on-the-fly exports (model folder only): one sub-folder per topology, named
        after its molecule count.
    heads : sequence of str
        CV heads to export from a model folder (ignored for an exported folder).

    Raises
    ------
    InputError
        When ``cv`` is neither kind of folder.
    """

    def __init__(self, cv: str | os.PathLike[str], scratch: str | os.PathLike[str],
                 heads: Sequence[str] = ("progress",)) -> None:
        self.path = Path(cv)
        self.scratch = Path(scratch)
        self.heads = list(heads)
        self.is_model = (self.path / MODEL_FILE).is_file()
        if self.is_model and not (self.path / HEADS_FILE).is_file():
            raise InputError(f"{self.path} holds a model but no {HEADS_FILE}: run `latentcv cluster --model "
                             f"{self.path} ...` first")
        if not self.is_model and not (self.path / METADATA).is_file():
            raise InputError(f"--cv {self.path} is neither an exported CV folder ({METADATA}) nor a model folder "
                             f"({MODEL_FILE} + {HEADS_FILE})")
        self._exported: dict[tuple, ExportedCV] = {}

    def for_topology(self, topology: str | os.PathLike[str], file_topology: md.Topology,
                     molecular: MolecularTopology) -> ExportedCV:
        """The exported CV to evaluate a trajectory of ``topology`` with.

        A model folder is exported once per distinct system (particle count, elements, molecules,
        bonds: topology files of the same system share one export) into
        ``scratch/<molecules>`` (a suffix ``-2``, ``-3``, ... tells apart different systems of the
        same size); an exported folder is returned as it is
        (:func:`latentcv.cv.evaluate.evaluate_cv` checks its particle count).

        Parameters
        ----------
        topology : path
            The topology file (what ``latentcv export --top`` would get).
        file_topology, molecular : md.Topology, MolecularTopology
            Its atoms and molecules (:func:`latentcv.data.topology.read_topology`).
        """
        if not self.is_model:
            return load(self.path)
        key = (file_topology.n_atoms, tuple(molecular.elements), molecular.source_atoms.numpy().tobytes(),
               molecular.molecule_index.numpy().tobytes(), molecular.bonds.numpy().tobytes())
        if key not in self._exported:
            taken = {cv.folder.name for cv in self._exported.values()}
            name, k = str(molecular.n_molecules), 1
            while name in taken:
                k += 1
                name = f"{molecular.n_molecules}-{k}"
            self._exported[key] = load(export_run(self.path, topology, self.scratch / name, self.heads))
        return self._exported[key]
