"""Molecules of a topology: virtual sites, bonds, and connected components of the bond graph."""

from __future__ import annotations

import mdtraj as md
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from latentcv.errors import InputError

VIRTUAL_SITE_NAMES = frozenset({"M", "MW", "VS"})
"""Atom names of massless sites (besides names starting with ``EP`` or ``LP``)."""


def virtual_site_flags(topology: md.Topology) -> np.ndarray:
    """Which atoms are massless virtual sites (TIP4P M, extra points, lone pairs).

    An atom is a virtual site when it has no element, a massless element (MDTraj's ``VS``), or a
    name in :data:`VIRTUAL_SITE_NAMES` or starting with ``EP``/``LP``.

    Parameters
    ----------
    topology : md.Topology

    Returns
    -------
    np.ndarray
        Shape ``(N,)``, bool.
    """
    flags = []
    for atom in topology.atoms:
        name = atom.name.upper()
        flags.append(
            atom.element is None
            or not atom.element.mass
            or name in VIRTUAL_SITE_NAMES
            or name.startswith(("EP", "LP"))
        )
    return np.array(flags, dtype=bool)


def with_bonds(topology: md.Topology) -> md.Topology:
    """A copy of ``topology`` with MDTraj's standard bonds added when it has no bonds at all.

    Files without connectivity (a water PDB without CONECT records, a GRO file) get the bonds of
    known residues (water, amino acids, nucleic acids) from MDTraj's residue templates.
    """
    bonded = topology.copy()
    if bonded.n_bonds == 0:
        bonded.create_standard_bonds()
    return bonded


def find_molecules(topology: md.Topology, virtual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Molecules as connected components of the bonds between real atoms.

    A residue with no bond between its real atoms counts as one molecule (the fallback for unknown
    residues in files without connectivity). Each virtual site joins the molecule of the first real
    atom of its residue. Molecules are numbered in the order of their first atom.

    Parameters
    ----------
    topology : md.Topology
        With bonds (see :func:`with_bonds`).
    virtual : np.ndarray
        Shape ``(N,)``, bool, from :func:`virtual_site_flags` or the OpenMM System.

    Returns
    -------
    molecule_index : np.ndarray
        Shape ``(N,)``, int64, molecule of each atom.
    reference_atom : np.ndarray
        Shape ``(M,)``, int64, first real atom of each molecule.

    Raises
    ------
    InputError
        When a residue has virtual sites but no real atom.
    """
    edges = [
        (a.index, b.index)
        for a, b in topology.bonds
        if not virtual[a.index] and not virtual[b.index]
    ]
    bonded = np.zeros(topology.n_atoms, dtype=bool)
    bonded[np.array(edges, dtype=np.int64).reshape(-1)] = True
    for residue in topology.residues:
        atoms = [atom.index for atom in residue.atoms]
        real = [k for k in atoms if not virtual[k]]
        if not real:
            raise InputError(f"residue {residue} has only virtual sites (no atom with a mass)")
        if not bonded[real].any():
            edges.extend(zip(real[:-1], real[1:]))
        edges.extend((real[0], k) for k in atoms if virtual[k])
    n = topology.n_atoms
    pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_molecules, component = connected_components(graph, directed=False)
    _, first_atom = np.unique(component, return_index=True)
    rank = np.empty(n_molecules, dtype=np.int64)
    rank[np.argsort(first_atom)] = np.arange(n_molecules)
    molecule_index = rank[component]
    real_atoms = np.flatnonzero(~virtual)[::-1]
    reference_atom = np.empty(n_molecules, dtype=np.int64)
    reference_atom[molecule_index[real_atoms]] = real_atoms
    return molecule_index, reference_atom
