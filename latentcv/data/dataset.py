"""Frames of one topology from several labelled trajectories, preprocessed and cached on disk.

Labels come at two levels. A trajectory given as ``FILE:LABEL`` labels every frame, and every
molecule of it, with ``LABEL``. A trajectory with a per-molecule labels file beside it
(``NAME.labels.csv``, :mod:`latentcv.data.molecule_labels`: a coexistence configuration) labels its
molecules from the file, in every frame, and its frames only when ``FILE:LABEL`` says so too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import mdtraj as md
import torch

from latentcv.data.cache import cache_key, default_cache_dir, load_cached, save_cached
from latentcv.data.checks import check_molecules_fit
from latentcv.data.features import MolecularTopology
from latentcv.data.molecule_labels import labels_path, read_molecule_labels
from latentcv.data.reading import DEFAULT_CHUNK, FrameChunk, iter_frames
from latentcv.data.specs import TrajectorySpec, parse_spec
from latentcv.data.topology import read_topology
from latentcv.errors import InputError
from latentcv.geometry import make_whole, rotate_to_reduced


@dataclass
class FrameDataset:
    """``B`` frames of one topology (``N`` atoms) with their boxes and state labels.

    Attributes
    ----------
    molecular : MolecularTopology
        Atoms, molecules and features shared by every frame.
    positions : torch.Tensor
        Shape ``(B, N, 3)``, float32, nm, molecules whole.
    boxes : torch.Tensor or None
        Shape ``(B, 3, 3)``, float32, box vectors as rows in nm, OpenMM reduced form; None for
        non-periodic data.
    labels : torch.Tensor
        Shape ``(B,)``, int64 index into ``label_names``; -1 for frames without a label.
    label_names : list of str
        Labels in order of first appearance (frame labels first, then those of labels files).
    sources : list of str
        Trajectory file of each ``source_index`` value.
    source_index : torch.Tensor
        Shape ``(B,)``, int64, trajectory of each frame.
    frame_index : torch.Tensor
        Shape ``(B,)``, int64, frame number in its trajectory.
    molecule_labels : torch.Tensor
        Shape ``(B, M)``, int64 index into ``label_names`` of each molecule; -1 where unknown.
    """

    molecular: MolecularTopology
    positions: torch.Tensor
    boxes: torch.Tensor | None
    labels: torch.Tensor
    label_names: list[str]
    sources: list[str]
    source_index: torch.Tensor
    frame_index: torch.Tensor
    molecule_labels: torch.Tensor

    def __len__(self) -> int:
        """Number of frames ``B``."""
        return int(self.positions.shape[0])

    def select(self, index: torch.Tensor) -> FrameDataset:
        """The frames ``index`` (int64 indices or a boolean mask of shape ``(B,)``)."""
        return replace(
            self,
            positions=self.positions[index],
            boxes=None if self.boxes is None else self.boxes[index],
            labels=self.labels[index],
            source_index=self.source_index[index],
            frame_index=self.frame_index[index],
            molecule_labels=self.molecule_labels[index],
        )


def prepare_chunk(
    chunk: FrameChunk, molecular: MolecularTopology, path: Path, periodic: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Reduced boxes and whole molecules for one chunk of frames, checked.

    Parameters
    ----------
    chunk : FrameChunk
    molecular : MolecularTopology
    path : Path
        The trajectory, for messages.
    periodic : bool
        Whether a unit cell is required (and used).

    Returns
    -------
    positions : torch.Tensor
        Shape ``(B, N, 3)``, float32, nm, rotated with the box into reduced form, molecules whole.
    boxes : torch.Tensor or None
        Shape ``(B, 3, 3)``, float32, nm, reduced form.

    Raises
    ------
    InputError
        No unit cell while ``periodic``; a degenerate box; a molecule spanning half the box.
    """
    positions = torch.from_numpy(chunk.positions).double()
    if not periodic:
        return positions.float(), None
    if chunk.boxes is None:
        raise InputError(
            f"trajectory {path} has no unit cell, but periodic boxes are required "
            "(write box vectors from the MD engine)"
        )
    boxes = torch.from_numpy(chunk.boxes).double()
    if bool((torch.linalg.det(boxes) <= 0).any()):
        raise InputError(f"trajectory {path} has a box with zero or negative volume")
    positions, boxes = rotate_to_reduced(positions, boxes)
    whole = make_whole(positions, boxes, molecular.molecule_index, molecular.reference_atom)
    check_molecules_fit(whole, boxes, molecular, path, chunk.frames)
    return whole.float(), boxes.float()


def load_dataset(
    trajectories: Sequence[str | TrajectorySpec],
    topology: str | Path,
    system_xml: str | Path | None = None,
    selection: str | None = None,
    start: int = 0,
    stop: int | None = None,
    stride: int = 1,
    periodic: bool = True,
    vocabulary: list[str] | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    chunk: int = DEFAULT_CHUNK,
) -> FrameDataset:
    """Read labelled trajectories of one topology into a :class:`FrameDataset`.

    Parameters
    ----------
    trajectories : sequence of str or TrajectorySpec
        ``"file"`` or ``"file:label"`` each (see :func:`latentcv.data.specs.parse_spec`).
    topology : str or Path
        Topology file (see :func:`latentcv.data.topology.read_topology`).
    system_xml : str or Path, optional
        OpenMM System XML giving masses, charges, virtual sites.
    selection : str, optional
        MDTraj atom selection; default all atoms.
    start : int
        First frame of each trajectory.
    stop : int or None
        Frame to stop before (None: to the end).
    stride : int
        Use every ``stride``-th frame from ``start``.
    periodic : bool
        Require a unit cell in every frame (default) and bring it to reduced form.
    vocabulary : list of str, optional
        Element vocabulary of an existing model.
    cache_dir : str or Path, optional
        Folder of the frame cache; default :func:`latentcv.data.cache.default_cache_dir`.
    use_cache : bool
        Read and write the cache.
    chunk : int
        Frames read at a time.

    Returns
    -------
    FrameDataset

    Raises
    ------
    InputError
        Any bad input (see :mod:`latentcv.data.reading`, :mod:`latentcv.data.topology`,
        :func:`prepare_chunk`), or no frames at all.
    """
    specs = [t if isinstance(t, TrajectorySpec) else parse_spec(t) for t in trajectories]
    if not specs:
        raise InputError("no trajectory given")
    file_topology, molecular = read_topology(topology, system_xml, selection, vocabulary)
    for spec in specs:
        if not spec.path.is_file():
            raise InputError(f"trajectory file not found: {spec.path}")
    label_files = [labels_path(spec.path) for spec in specs if labels_path(spec.path).is_file()]
    inputs = [spec.path for spec in specs] + label_files + [Path(topology)]
    inputs += [] if system_xml is None else [Path(system_xml)]
    options = {
        "labels": [spec.label for spec in specs],
        "selection": selection,
        "start": start,
        "stop": stop,
        "stride": stride,
        "periodic": periodic,
    }
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(inputs, options)
    content = load_cached(folder, key) if use_cache else None
    if content is None:
        content = _read_frames(
            specs, file_topology, molecular, selection, start, stop, stride, periodic, chunk
        )
        if use_cache:
            save_cached(folder, key, content)
    return FrameDataset(molecular=molecular, **content)


def _read_frames(
    specs: list[TrajectorySpec],
    file_topology: md.Topology,
    molecular: MolecularTopology,
    selection: str | None,
    start: int,
    stop: int | None,
    stride: int,
    periodic: bool,
    chunk: int,
) -> dict:
    """Read, prepare and concatenate the frames of every trajectory (the cached content)."""
    atoms = None if selection is None else molecular.source_atoms.numpy()
    label_names = list(dict.fromkeys(s.label for s in specs if s.label is not None))
    per_molecule = {}
    for spec in specs:
        if labels_path(spec.path).is_file():
            names = read_molecule_labels(labels_path(spec.path), molecular.n_molecules)
            label_names += [n for n in dict.fromkeys(names) if n not in label_names]
            per_molecule[spec.path] = torch.tensor([label_names.index(n) for n in names], dtype=torch.long)
    positions, boxes, labels, source_index, frame_index, molecule_labels = [], [], [], [], [], []
    for k, spec in enumerate(specs):
        label = -1 if spec.label is None else label_names.index(spec.label)
        molecules = per_molecule.get(spec.path, torch.full((molecular.n_molecules,), label, dtype=torch.long))
        for piece in iter_frames(spec.path, file_topology, atoms, start, stop, stride, chunk):
            xyz, box = prepare_chunk(piece, molecular, spec.path, periodic)
            positions.append(xyz)
            boxes.append(box)
            labels.append(torch.full((len(xyz),), label, dtype=torch.long))
            source_index.append(torch.full((len(xyz),), k, dtype=torch.long))
            frame_index.append(torch.from_numpy(piece.frames))
            molecule_labels.append(molecules.expand(len(xyz), -1))
    if not positions:
        raise InputError(
            f"no frames in the trajectories for start={start} stop={stop} stride={stride}"
        )
    return {
        "positions": torch.cat(positions),
        "boxes": torch.cat(boxes) if periodic else None,
        "labels": torch.cat(labels),
        "label_names": label_names,
        "sources": [str(spec.path) for spec in specs],
        "source_index": torch.cat(source_index),
        "frame_index": torch.cat(frame_index),
        "molecule_labels": torch.cat(molecule_labels),
    }
