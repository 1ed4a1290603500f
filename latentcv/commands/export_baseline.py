"""``latentcv export --baseline q6``: the Steinhardt baseline CV for a system, as a CV folder.

The CV (:class:`latentcv.cv.steinhardt.SteinhardtCV`: the smooth number of solid-like molecules
and global Q6, over one site atom per molecule) goes through the same writer as a learnt CV
(:func:`latentcv.engines.export.write_cv_folder`): one ``openmm_cv<k>.pt`` per component,
``plumed_cv.ptc``, ``plumed.dat`` and ``metadata.json``, so that ``latentcv metad``, ``pin``,
``melting-point`` and ``evaluate`` take it as they take the learnt one. The solid-like threshold
on the neighbour-averaged q6 is the one that best tells the molecules of bulk crystal runs from
those of bulk melt runs (balanced accuracy, as ``latentcv report`` scores its solid-like count),
and the components' statistics (the METAD widths of plumed.dat) come from the same frames.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import mdtraj as md
import numpy as np
import torch

from latentcv.commands.export import DTYPES
from latentcv.cv.stats import ComponentStats
from latentcv.cv.steinhardt import MEANINGS, SteinhardtCV
from latentcv.data.reading import iter_frames
from latentcv.engines.export import PAIR_SKIN, write_cv_folder
from latentcv.engines.metadynamics import TEMPERATURE_K
from latentcv.errors import InputError
from latentcv.geometry import rotate_to_reduced
from latentcv.readers import reading
from latentcv.report.partial_order import solid_threshold
from latentcv.report.q6 import default_cutoff

#: Baselines ``--baseline`` knows.
BASELINES = ("q6",)
#: nm below and above the first-shell cutoff of :data:`latentcv.report.q6.DEFAULT_CUTOFFS` where
#: the default pair switch starts and ends (water: 0.30 to 0.37 nm, around the O-O first minimum).
SWITCH_BELOW, SWITCH_ABOVE = 0.05, 0.02


def site_atoms(topology: md.Topology, site: str | None = None) -> list[int]:
    """One atom per molecule (residue), in residue order: the atom named ``site``, or by default the
    residue's heaviest atom (the first of equals; water: O).

    Raises
    ------
    InputError
        A residue without such an atom.
    """
    sites = []
    for residue in topology.residues:
        atoms = [a for a in residue.atoms if (a.name == site if site else a.element is not None and a.element.mass > 0)]
        if not atoms:
            what = f"no atom named {site!r}" if site else "no atom with a mass"
            raise InputError(f"residue {residue} has {what}: choose the site atom with --site NAME")
        sites.append(max(atoms, key=lambda a: (a.element.mass if a.element is not None else 0.0, -a.index)).index)
    return sites


def _run_files(run: str) -> tuple[Path, Path]:
    """The trajectory and topology of a bulk run: a ``latentcv simulate`` folder or a trajectory
    with ``topology.pdb`` beside it (or one that carries its own topology)."""
    path = Path(run)
    trajectory = path / "trajectory.dcd" if path.is_dir() else path
    beside = trajectory.parent / "topology.pdb"
    topology = beside if beside.is_file() and trajectory.suffix.lower() != ".pdb" else trajectory
    for needed in (trajectory, topology):
        if not needed.is_file():
            raise InputError(f"{run}: {needed} is missing (a `latentcv simulate` folder holds trajectory.dcd and "
                             "topology.pdb)")
    return trajectory, topology


def evaluate_runs(cv: SteinhardtCV, runs: Sequence[str], site: str | None, stride: int) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """The neighbour-averaged q6 of every molecule ``[M]`` and the components ``[F, 2]`` over the
    frames of ``runs`` (float64)."""
    averaged, components = [], []
    for run in runs:
        trajectory, topology_file = _run_files(run)
        with reading(topology_file, "topology"):
            topology = md.load_topology(str(topology_file))
        sites = np.array(site_atoms(topology, site))
        with torch.no_grad():
            for chunk in iter_frames(trajectory, topology, atoms=sites, stride=stride):
                if chunk.boxes is None:
                    raise InputError(f"{trajectory} has no unit cell: the CV needs periodic frames")
                for x, b in zip(chunk.positions, chunk.boxes):
                    points, box = rotate_to_reduced(torch.tensor(x, dtype=torch.float64),
                                                    torch.tensor(b, dtype=torch.float64))
                    averaged.append(cv.per_molecule(points, box)[:, 1].numpy())
                    components.append(cv(points, box).numpy())
    return np.concatenate(averaged), np.array(components)


def export_baseline(
    topology: str | os.PathLike[str],
    out: str | os.PathLike[str],
    crystal: Sequence[str],
    melt: Sequence[str],
    baseline: str = "q6",
    threshold: float | None = None,
    switch: tuple[float, float] | None = None,
    site: str | None = None,
    dtype: str = "float32",
    temperature: float = TEMPERATURE_K,
    pair_skin: float = PAIR_SKIN,
    stride: int = 1,
) -> Path:
    """Export the Steinhardt baseline CV (components ``solid_like``, ``q6``) for the system of ``topology``.

    Parameters
    ----------
    topology : path
        The system to bias; its particle order (virtual sites included) is the OpenMM System's.
    out : path
        CV folder to write.
    crystal, melt : sequence of str
        Bulk crystal and melt runs (``latentcv simulate`` folders or trajectories with topology.pdb
        beside them, any size) for the threshold and the statistics.
    baseline : str
        ``q6``.
    threshold : float, optional
        Solid-like threshold on the neighbour-averaged q6; default: fitted on ``crystal`` and ``melt``.
    switch : (float, float), optional
        nm, (D_0, D_MAX) of the pair switch; default from the first-shell cutoff c of the residues
        (:func:`latentcv.report.q6.default_cutoff`): (c − 0.05, c + 0.02).
    site : str, optional
        Name of the site atom of each molecule (default: its heaviest atom).
    dtype : str
        ``float32`` or ``float64`` for the OpenMM files.
    temperature : float
        K, for the METAD line of plumed.dat.
    pair_skin : float
        nm, Verlet skin of the pair list kept between calls.
    stride : int
        Every ``stride``-th frame of the runs is read.
    """
    if baseline not in BASELINES:
        raise InputError(f"--baseline must be one of {', '.join(BASELINES)}, got {baseline!r}")
    if dtype not in DTYPES:
        raise InputError(f"--dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if not crystal or not melt:
        raise InputError("the baseline's threshold and statistics come from bulk runs: give --crystal RUN and "
                         "--melt RUN (latentcv simulate folders)")
    with reading(topology, "topology"):
        file_topology = md.load_topology(str(topology))
    if switch is not None and len(switch) != 2:
        raise InputError(f"--q6-switch takes two distances, D_0,D_MAX in nm; got {list(switch)}")
    if switch is None:
        cutoff = default_cutoff(file_topology)
        switch = (cutoff - SWITCH_BELOW, cutoff + SWITCH_ABOVE)
    d_0, d_max = switch
    try:
        probe = SteinhardtCV(d_0, d_max, 1.0)
    except ValueError as err:
        raise InputError(f"--q6-switch: {err}") from None
    crystal_q, _ = evaluate_runs(probe, crystal, site, stride)  # per molecule: the same for every threshold
    melt_q, _ = evaluate_runs(probe, melt, site, stride)
    if threshold is None:
        threshold = solid_threshold(crystal_q, melt_q)
    try:
        cv = SteinhardtCV(d_0, d_max, threshold, skin=pair_skin)
    except ValueError as err:
        raise InputError(f"--q6-threshold: {err}") from None
    _, crystal_values = evaluate_runs(cv, crystal, site, stride)
    _, melt_values = evaluate_runs(cv, melt, site, stride)
    values = np.concatenate([crystal_values, melt_values])
    stats = [
        ComponentStats(name, MEANINGS[name], float(values[:, k].mean()), float(values[:, k].std()),
                       float(values[:, k].min()), float(values[:, k].max()),
                       {"crystal": float(crystal_values[:, k].mean()), "melt": float(melt_values[:, k].mean())},
                       {"crystal": float(crystal_values[:, k].std()), "melt": float(melt_values[:, k].std())})
        for k, name in enumerate(cv.names)
    ]
    sites = site_atoms(file_topology, site)
    metadata = {
        "baseline": baseline,
        "cutoff_nm": d_max,
        "switch_on_nm": d_0,
        "switch": f"CUBIC D_0={d_0:g} D_MAX={d_max:g}",
        "solid_like_threshold": threshold,
        "solid_like_switch": f"MORE_THAN RATIONAL R_0={threshold:.6g} NN=12 MM=24",
        "site": site or "heaviest atom of each molecule",
        "molecules": len(sites),
        "bulk_runs": {"crystal": list(crystal), "melt": list(melt)},
        "separation": {"crystal_molecules_above": float((crystal_q >= threshold).mean()),
                       "melt_molecules_below": float((melt_q < threshold).mean())},
    }
    return write_cv_folder(cv, sites, file_topology.n_atoms, out, stats, temperature, DTYPES[dtype], metadata,
                           pair_skin)
