"""Steinhardt Q6 of molecular centres per frame: the hand-made baseline a learnt CV is compared with.

Each molecule is one point, its centre of mass (massless virtual sites carry no weight), computed
with the package's periodic geometry (:func:`latentcv.geometry.centres_of_mass` on the box in
OpenMM's reduced form). freud's ``Steinhardt(l=6)`` gives every molecule its q6 over the
neighbours within a cutoff (the first coordination shell); the frame's value is the mean over
molecules. With ``average=True`` the neighbour-averaged q6 of Lechner and Dellago (J. Chem. Phys.
129, 114707, 2008) is used instead, which separates solid from liquid more sharply.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import freud
import mdtraj as md
import numpy as np
import torch

from latentcv.data.features import MolecularTopology
from latentcv.data.reading import iter_frames
from latentcv.errors import InputError
from latentcv.geometry import centres_of_mass, half_min_width, rotate_to_reduced

#: First-shell cutoffs (nm) between molecular centres of mass, by residue name: the first minimum of
#: the centre-centre radial distribution function of the crystal (water: the O-O minimum of ice,
#: 4 neighbours; urea form I: about 14 neighbours).
DEFAULT_CUTOFFS = {"HOH": 0.35, "WAT": 0.35, "SOL": 0.35, "TIP3": 0.35, "TIP4": 0.35, "URE": 0.64, "UREA": 0.64}


def default_cutoff(topology: md.Topology) -> float:
    """The first-shell cutoff (nm) for the molecules of ``topology`` from :data:`DEFAULT_CUTOFFS`.

    Raises
    ------
    InputError
        When the residue names are unknown or name molecules with different defaults.
    """
    names = {residue.name.upper() for residue in topology.residues}
    cutoffs = {DEFAULT_CUTOFFS.get(name) for name in names}
    if None in cutoffs or len(cutoffs) != 1:
        raise InputError(
            f"no default Q6 neighbour cutoff for residues {sorted(names)} (known: {', '.join(DEFAULT_CUTOFFS)}): "
            "give --q6-cutoff in nm, the first minimum of the radial distribution function of molecular centres"
        )
    return float(cutoffs.pop())


def frame_q6(centres: np.ndarray, box: np.ndarray, cutoff: float, average: bool = False) -> np.ndarray:
    """Steinhardt q6 of every point of one periodic frame.

    Parameters
    ----------
    centres : np.ndarray
        Shape ``(M, 3)``, nm, anywhere (wrapped into the box here).
    box : np.ndarray
        Shape ``(3, 3)``, rows a, b, c in nm, any orientation, right-handed; orthorhombic or
        triclinic (brought to OpenMM's reduced form with the points).
    cutoff : float
        Neighbour cutoff, nm, below half the smallest box width.
    average : bool
        Neighbour-averaged q6 (Lechner-Dellago) instead of the local one.

    Returns
    -------
    np.ndarray
        Shape ``(M,)``; 0 for a point without neighbours.
    """
    points, reduced = rotate_to_reduced(torch.as_tensor(centres, dtype=torch.float64),
                                        torch.as_tensor(box, dtype=torch.float64))
    fbox = freud.box.Box.from_matrix(reduced.numpy().T)  # freud: box vectors as columns, upper triangular
    steinhardt = freud.order.Steinhardt(l=6, average=average)
    steinhardt.compute((fbox, fbox.wrap(points.numpy())), neighbors={"r_max": cutoff, "exclude_ii": True})
    return np.nan_to_num(np.asarray(steinhardt.particle_order, dtype=np.float64), nan=0.0)


def molecule_q6(
    trajectory: str | os.PathLike[str],
    file_topology: md.Topology,
    molecular: MolecularTopology,
    cutoff: float,
    stride: int = 1,
    on_frame: Callable[[int], object] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Local and neighbour-averaged q6 of every molecule in every frame of a trajectory.

    Parameters
    ----------
    trajectory : path
        Any trajectory MDTraj reads, with a unit cell.
    file_topology : md.Topology
        Every atom of the file.
    molecular : MolecularTopology
        The molecules (from :func:`latentcv.data.topology.read_topology` of the same file).
    cutoff : float
        First-shell neighbour cutoff between molecular centres, nm.
    stride : int
        Use every ``stride``-th frame.
    on_frame : callable, optional
        Called with 1 after every frame (e.g. a tqdm bar's ``update``).

    Returns
    -------
    local, averaged : np.ndarray
        Shape ``(F, M)`` each, dimensionless in [0, 1].

    Raises
    ------
    InputError
        Frames without a unit cell, or a cutoff of half the smallest box width or more.
    """
    if not cutoff > 0:
        raise InputError(f"the Q6 cutoff must be positive, got {cutoff} nm")
    local, averaged = [], []
    for chunk in iter_frames(trajectory, file_topology, atoms=molecular.source_atoms.numpy(), stride=stride):
        if chunk.boxes is None:
            raise InputError(f"{trajectory} has no unit cell: Q6 needs periodic frames")
        positions, boxes = rotate_to_reduced(torch.from_numpy(chunk.positions).double(),
                                             torch.from_numpy(chunk.boxes).double())
        limit = float(half_min_width(boxes).min())
        if cutoff >= limit:
            raise InputError(f"the Q6 cutoff {cutoff} nm is not below half the smallest box width ({limit:.3f} nm) "
                             f"of {trajectory}")
        centres = centres_of_mass(positions, boxes, molecular.molecule_index, molecular.reference_atom,
                                  molecular.masses)
        for x, box in zip(centres.numpy(), boxes.numpy()):
            local.append(frame_q6(x, box, cutoff, average=False))
            averaged.append(frame_q6(x, box, cutoff, average=True))
            if on_frame is not None:
                on_frame(1)
    shape = (-1, molecular.n_molecules)
    return np.asarray(local, dtype=np.float64).reshape(shape), np.asarray(averaged, dtype=np.float64).reshape(shape)


def trajectory_q6(
    trajectory: str | os.PathLike[str],
    file_topology: md.Topology,
    molecular: MolecularTopology,
    cutoff: float,
    average: bool = False,
    stride: int = 1,
    on_frame: Callable[[int], object] | None = None,
) -> np.ndarray:
    """Mean q6 over molecules for every frame of a trajectory (the local or, with ``average``,
    the neighbour-averaged q6 of :func:`molecule_q6`, same parameters); shape ``(F,)``."""
    local, averaged = molecule_q6(trajectory, file_topology, molecular, cutoff, stride, on_frame)
    return (averaged if average else local).mean(axis=1)
