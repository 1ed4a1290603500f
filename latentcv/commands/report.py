"""``latentcv report``: CV components and Steinhardt Q6 on labelled crystal and melt frames, scored
per system size, with histograms, a Markdown summary, a JSON of the numbers and every frame's values.

The CV is computed by the exported TorchScript files themselves (:func:`latentcv.commands.evaluate.evaluate_cv`),
as an MD engine would see it; Q6 by :mod:`latentcv.report.q6` on the same frames. The CV comes from
an exported CV folder, which serves only the system it was exported for, or from a model folder
(``model.pt`` + ``heads.json`` of ``latentcv train``/``cluster``, or a shipped model), exported on
the fly for each trajectory's topology (:class:`CVSource`), so that any system size of the
training chemistry can be reported on. The scores, figures and tables are those of the report
library, :mod:`latentcv.report`.

With slabs (``--slab``) or nuclei (``--nucleus``), run folders of coexistence systems of ``latentcv
simulate`` with their per-molecule labels, the report adds its partial-order section
(:mod:`latentcv.report.partial_order`): how each CV component, global Q6 and the count of
solid-like molecules read the crystal content of mixed configurations, the bulk phases at each
temperature (from the ``config.json`` beside a trajectory), and nuclei in a melt, with the targets
a crystallization CV must meet.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mdtraj as md
import numpy as np
from tqdm import tqdm

from latentcv.atomic import write_text_atomic
from latentcv.commands.evaluate import evaluate_cv
from latentcv.commands.export import export_run
from latentcv.cv.basins import HEADS_FILE
from latentcv.data.features import MolecularTopology
from latentcv.data.molecule_labels import labels_path, read_molecule_labels
from latentcv.data.specs import parse_spec
from latentcv.data.topology import read_topology
from latentcv.engines.exported import METADATA, ExportedCV, load
from latentcv.errors import InputError
from latentcv.nn.bundle import MODEL_FILE
from latentcv.readers import read_json_object, reading
from latentcv.report.markdown import Q6_NAME, partial_order_section, size_section, write_markdown
from latentcv.report.partial_order import analyse
from latentcv.report.plots import plot_histograms, plot_partial_order
from latentcv.report.q6 import default_cutoff, molecule_q6
from latentcv.report.separation import Separation, separation
from latentcv.report.values import TrajectoryValues, write_values_csv

CONFIG_FILE = "report_config.json"


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
        (:func:`latentcv.commands.evaluate.evaluate_cv` checks its particle count).

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


@dataclass
class ReportConfig:
    """Arguments of ``latentcv report``; saved as ``OUT/report_config.json``.

    Attributes
    ----------
    cv : str
        Exported CV folder, or model folder (``model.pt`` + ``heads.json``) exported per topology.
    trajectories : list of str
        ``FILE:LABEL`` per trajectory, labels the crystal or the melt label.
    topologies : list of str
        One topology for all trajectories, or one per trajectory in order; empty: each trajectory
        file is its own topology (PDB, H5, GRO), or else the ``topology.pdb`` beside it (a run folder
        of ``latentcv simulate``).
    out : str
        Report folder.
    cv_out : str or None
        Where a model folder is exported to (``<cv_out>/<molecules>``); default ``OUT/cv``.
    heads : list of str
        CV heads exported from a model folder.
    crystal_label, melt_label : str
        Labels of the crystal and melt frames.
    stride : int
        Use every ``stride``-th frame.
    q6_cutoff : float or None
        Q6 neighbour cutoff between molecular centres (nm); default per residue name.
    q6_average : bool
        Neighbour-averaged (Lechner-Dellago) q6 instead of the local one.
    bins : int
        Histogram bins for the overlap and the figures.
    slabs, nuclei : list of str
        Run folders of coexistence systems (``latentcv simulate --system *-slab`` / ``*-nucleus``:
        trajectory.dcd, topology.pdb, trajectory.labels.csv), or trajectories with ``topology.pdb``
        and their labels file beside them. Nuclei need a melt of the same system among them (0
        crystalline molecules).
    """

    cv: str
    trajectories: list[str]
    out: str
    topologies: list[str] = field(default_factory=list)
    cv_out: str | None = None
    heads: list[str] = field(default_factory=lambda: ["progress"])
    crystal_label: str = "crystal"
    melt_label: str = "melt"
    stride: int = 1
    q6_cutoff: float | None = None
    q6_average: bool = False
    bins: int = 50
    slabs: list[str] = field(default_factory=list)
    nuclei: list[str] = field(default_factory=list)

    def paired_topologies(self) -> list[str]:
        """The topology of each trajectory, in order.

        Raises
        ------
        InputError
            When the number of topologies is neither 0, 1 nor the number of trajectories.
        """
        n, k = len(self.trajectories), len(self.topologies)
        if k == 0:
            return [str(_own_topology(parse_spec(t).path)) for t in self.trajectories]
        if k == 1:
            return self.topologies * n
        if k == n:
            return list(self.topologies)
        raise InputError(f"give --top once for all trajectories or once per --traj ({n}), not {k} times")


@dataclass
class ReportResult:
    """What :func:`run_report` found.

    Attributes
    ----------
    folder : Path
        The report folder.
    names : list of str
        The quantities: CV components, then ``Q6``.
    scores : dict
        Molecules -> quantity name -> Separation.
    training_molecules : int or None
        The CV's training size, when its metadata records it.
    """

    folder: Path
    names: list[str]
    scores: dict[int, dict[str, Separation]]
    training_molecules: int | None


def _check(config: ReportConfig) -> None:
    """Raise InputError for arguments that cannot make a report, before any work."""
    if not config.trajectories:
        raise InputError("give at least one --traj FILE:LABEL")
    if config.stride < 1:
        raise InputError(f"--stride must be at least 1, got {config.stride}")
    if config.bins < 2:
        raise InputError(f"--bins must be at least 2, got {config.bins}")
    if config.crystal_label == config.melt_label:
        raise InputError(f"the crystal and melt labels must differ, both are {config.crystal_label!r}")
    labels = [parse_spec(text).label for text in config.trajectories]
    for text, label in zip(config.trajectories, labels):
        if label not in (config.crystal_label, config.melt_label):
            raise InputError(f"label every trajectory {config.crystal_label} or {config.melt_label} "
                             f"(--traj FILE:{config.crystal_label}); {text!r} has label {label!r}")
    config.paired_topologies()  # raises on a --top count that fits neither one nor every trajectory
    for label in (config.crystal_label, config.melt_label):
        if label not in labels:
            raise InputError(f"no {label} trajectory: give crystal and melt frames (--traj FILE:{label})")


@dataclass
class _Measured:
    """What :func:`_measure` found: the bulk runs, slabs and nuclei, the CV's component names, the
    Q6 cutoff per system size and the CV's training size (None when its metadata does not record it)."""

    bulk: list[TrajectoryValues]
    slabs: list[TrajectoryValues]
    nuclei: list[TrajectoryValues]
    names: list[str]
    cutoffs: dict[int, float]
    training: int | None


def _measure(config: ReportConfig, source: CVSource) -> _Measured:
    """CV, Q6 and per-molecule q6 values of every trajectory, slab and nucleus."""
    found = _Measured([], [], [], [], {}, None)
    inputs = [(parse_spec(text).path, Path(topology), str(parse_spec(text).label), found.bulk)
              for text, topology in zip(config.trajectories, config.paired_topologies())]
    for kind, runs, where in (("slab", config.slabs, found.slabs), ("nucleus", config.nuclei, found.nuclei)):
        inputs += [(*_coexistence_files(run), kind, where) for run in runs]
    for trajectory, topology, label, where in inputs:
        where.append(_measure_one(trajectory, topology, label, config, source, found))
    return found


def _measure_one(trajectory: Path, topology: Path, label: str, config: ReportConfig, source: CVSource,
                 found: _Measured) -> TrajectoryValues:
    """The values of one trajectory, with the names, cutoffs and training size recorded in ``found``."""
    file_topology, molecular = read_topology(topology)
    size = molecular.n_molecules
    cutoff = config.q6_cutoff if config.q6_cutoff is not None else default_cutoff(file_topology)
    found.cutoffs[size] = cutoff
    cv = source.for_topology(topology, file_topology, molecular)
    cv.check_particles(file_topology.n_atoms)  # before any work: an exported CV serves one system
    if found.names and cv.names != found.names:
        raise InputError(f"the CVs differ in their components: {found.names} and {cv.names}")
    found.names = cv.names
    found.training = cv.metadata.get("training", {}).get("molecules")
    crystalline = None
    if label in ("slab", "nucleus"):
        names = read_molecule_labels(labels_path(trajectory), size)
        crystalline = sum(name == config.crystal_label for name in names)
    with tqdm(desc=f"Q6 {trajectory.name}", unit="frame", leave=False) as bar:
        local, averaged = molecule_q6(trajectory, file_topology, molecular, cutoff, config.stride, on_frame=bar.update)
    with tqdm(total=len(local), desc=f"CV {trajectory.name} ({size} molecules)", unit="frame") as bar:
        values, _ = evaluate_cv(cv.folder, trajectory, topology, None, stride=config.stride, on_frame=bar.update)
    if len(local) == 0:
        raise InputError(f"{trajectory} has no frames (stride {config.stride})")
    frames = np.arange(len(local), dtype=np.int64) * config.stride
    q6 = (averaged if config.q6_average else local).mean(axis=1)
    return TrajectoryValues(str(trajectory), str(topology), label, size, frames, values, q6, averaged,
                            _temperature(trajectory), crystalline)


def _own_topology(trajectory: Path) -> Path:
    """A trajectory's own topology: the file itself when it carries one, else the ``topology.pdb``
    beside it when there is one (a ``latentcv simulate`` folder)."""
    beside = trajectory.parent / "topology.pdb"
    if trajectory.suffix.lower() in (".pdb", ".h5", ".gro", ".cif") or not beside.is_file():
        return trajectory
    return beside


def _coexistence_files(run: str) -> tuple[Path, Path]:
    """The trajectory and topology of a coexistence run: a ``latentcv simulate`` folder, or a
    trajectory with ``topology.pdb`` beside it; its labels file must be there too."""
    path = Path(run)
    trajectory = path / "trajectory.dcd" if path.is_dir() else path
    topology = trajectory.parent / "topology.pdb"
    for needed in (trajectory, topology, labels_path(trajectory)):
        if not needed.is_file():
            raise InputError(f"{run} is not a coexistence run: {needed} is missing (a `latentcv simulate --system "
                             "*-slab` or `*-nucleus` folder holds trajectory.dcd, topology.pdb and "
                             "trajectory.labels.csv)")
    return trajectory, topology


def _temperature(trajectory: Path) -> float | None:
    """The temperature (K) of the ``latentcv simulate`` run that wrote ``trajectory``, from the
    ``config.json`` beside it; None without one."""
    config = trajectory.parent / "config.json"
    if not config.is_file():
        return None
    saved = read_json_object(config, "run config.json of `latentcv simulate`")
    with reading(config, "run config.json of `latentcv simulate`"):
        return None if saved.get("temperature") is None else float(saved["temperature"])


def _column(run: TrajectoryValues, name: str, names: Sequence[str]) -> np.ndarray:
    """Values of quantity ``name`` (a CV component or Q6) on the frames of ``run``, shape (F,)."""
    return run.q6 if name == Q6_NAME else run.cv[:, list(names).index(name)]


def _score(runs: Sequence[TrajectoryValues], names: Sequence[str], config: ReportConfig
           ) -> tuple[dict[int, dict[str, Separation]], dict[int, dict[str, tuple[np.ndarray, np.ndarray]]]]:
    """Separation of every quantity per system size, and the samples it was computed from."""
    scores, samples = {}, {}
    for size in sorted({r.molecules for r in runs}):
        mine = [r for r in runs if r.molecules == size]
        table = {label: [r for r in mine if r.label == label] for label in (config.crystal_label, config.melt_label)}
        missing = [label for label, rs in table.items() if not rs]
        if missing:
            raise InputError(f"the {size}-molecule system has no {' or '.join(missing)} frames: give both phases "
                             "for every system size")
        samples[size] = {}
        for name in [*names, Q6_NAME]:
            crystal, melt = ([_column(r, name, names) for r in table[label]]
                             for label in (config.crystal_label, config.melt_label))
            samples[size][name] = (np.concatenate(crystal), np.concatenate(melt))
        scores[size] = {name: separation(c, m, bins=config.bins) for name, (c, m) in samples[size].items()}
    return scores, samples


def _describe_cv(config: ReportConfig, source: CVSource, training: int | None) -> str:
    trained = f"trained on {training} molecules" if training is not None else "training size unknown"
    if source.is_model:
        where = config.cv_out or str(Path(config.out) / "cv")
        return (f"model folder `{config.cv}` ({trained}), heads {', '.join(config.heads)}, exported for each "
                f"system size into `{where}` and evaluated through the exported TorchScript files.")
    return f"exported CV folder `{config.cv}` ({trained}), evaluated through its TorchScript files."


def run_report(config: ReportConfig) -> ReportResult:
    """Compute, score and write the CV quality report (see the module docstring).

    Writes ``OUT/report.md``, ``report.json``, ``values.csv``, ``hist_<molecules>.png`` and
    ``report_config.json``; a model folder's exports go to ``config.cv_out`` (default ``OUT/cv``).

    Raises
    ------
    InputError
        Unlabelled or wrongly labelled trajectories, a system size without both phases, a topology
        count that matches neither one nor every trajectory, an exported CV of another particle
        count, unreadable files.
    """
    _check(config)
    out = Path(config.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {out}: {err.strerror or err}") from None
    write_text_atomic(out / CONFIG_FILE, json.dumps(asdict(config), indent=1))
    source = CVSource(config.cv, config.cv_out or out / "cv", config.heads)
    found = _measure(config, source)
    runs, names, cutoffs, training = found.bulk, found.names, found.cutoffs, found.training
    scores, samples = _score(runs, names, config)

    write_values_csv(out / "values.csv", [*runs, *found.slabs, *found.nuclei], names)
    labels = (config.crystal_label, config.melt_label)
    sections = []
    for size, per_quantity in scores.items():
        figure = f"hist_{size}.png"
        plot_histograms(out / figure, f"{size} molecules", samples[size], per_quantity, labels, config.bins)
        sections.append(size_section(size, per_quantity, figure, training, *labels))
    partial = None
    if found.slabs or found.nuclei:
        fisher = {size: {name: s.fisher for name, s in per_quantity.items()} for size, per_quantity in scores.items()}
        try:
            partial = analyse(runs, found.slabs, found.nuclei, names, *labels, fisher)
        except ValueError as err:  # too few slab fractions, nuclei without their melt
            raise InputError(f"the partial-order section: {err}") from None
        plot_partial_order(out / "partial_order.png", partial)
        sections.append(partial_order_section(partial, "partial_order.png"))
    variant = "neighbour-averaged q6 (Lechner-Dellago)" if config.q6_average else "local q6"
    if len(set(cutoffs.values())) == 1:
        cut = f"{next(iter(cutoffs.values())):g} nm"
    else:
        cut = ", ".join(f"{c:g} nm ({s} molecules)" for s, c in sorted(cutoffs.items()))
    q6_text = (f"Steinhardt {variant} (freud `Steinhardt(l=6)`) of the molecular centres of mass, neighbours "
               f"within {cut}, averaged over the molecules of each frame.")
    write_text_atomic(out / "report.md", write_markdown(_describe_cv(config, source, training), runs, sections, q6_text,
                                                        *labels))
    report = {
        "cv": config.cv, "cv_kind": "model" if source.is_model else "exported", "components": names,
        "training_molecules": training,
        "q6": {"variant": "averaged" if config.q6_average else "local",
               "cutoff_nm": {str(s): c for s, c in cutoffs.items()}},
        "trajectories": [{"path": r.path, "topology": r.topology, "label": r.label, "molecules": r.molecules,
                          "frames": len(r.frames)} for r in runs],
        "sizes": {str(size): {"training_size": training == size,
                              "quantities": {name: s.as_dict() for name, s in per_quantity.items()}}
                  for size, per_quantity in scores.items()},
    }
    if partial is not None:
        report["partial_order"] = partial
    write_text_atomic(out / "report.json", json.dumps(report, indent=1))
    return ReportResult(out, [*names, Q6_NAME], scores, training)
