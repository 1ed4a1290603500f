"""Atom features, bond edges and molecule species of one topology, as tensors for the networks."""

from __future__ import annotations

from dataclasses import dataclass

import mdtraj as md
import numpy as np
import torch

from latentcv.data.molecules import find_molecules, virtual_site_flags, with_bonds
from latentcv.data.system_xml import SystemParameters
from latentcv.errors import InputError
from latentcv.geometry import group_table, minimum_image, safe_norm

VIRTUAL_SYMBOL = "VS"
"""Element symbol given to virtual sites in :attr:`MolecularTopology.elements`."""


@dataclass
class MolecularTopology:
    """Atoms, molecules and features of the ``N`` atoms a model sees (``M`` molecules).

    Attributes
    ----------
    topology : md.Topology
        The MDTraj topology of these atoms, with bonds.
    source_atoms : torch.Tensor
        Shape ``(N,)``, int64: index of each atom in the topology file (all of them unless a
        selection was applied); an exported CV picks these from OpenMM's particles.
    elements : list of str
        Element symbol of each atom, ``"VS"`` for virtual sites.
    vocabulary : list of str
        Element symbols that ``element_index`` refers to; saved with a model.
    element_index : torch.Tensor
        Shape ``(N,)``, int64, index into ``vocabulary``; -1 for virtual sites.
    masses : torch.Tensor
        Shape ``(N,)``, float64, dalton; 0 for virtual sites.
    radii : torch.Tensor
        Shape ``(N,)``, float64, MDTraj's element radii in nm; 0 for virtual sites.
    charges : torch.Tensor or None
        Shape ``(N,)``, float64, elementary charges from an OpenMM System; None without one.
    is_virtual : torch.Tensor
        Shape ``(N,)``, bool: massless virtual sites, kept in the atom count, left out of graphs.
    molecule_index : torch.Tensor
        Shape ``(N,)``, int64, molecule of each atom.
    reference_atom : torch.Tensor
        Shape ``(M,)``, int64, first real atom of each molecule.
    molecule_atoms : torch.Tensor
        Shape ``(M, A)``, int64, atoms of each molecule in index order, padded with -1.
    species : torch.Tensor
        Shape ``(M,)``, int64: molecules with the same species id have the same atoms (element,
        charge) in the same order with the same bonds, so they can be exchanged.
    bonds : torch.Tensor
        Shape ``(E, 2)``, int64, bonded pairs ``i < j`` of real atoms, sorted.
    """

    topology: md.Topology
    source_atoms: torch.Tensor
    elements: list[str]
    vocabulary: list[str]
    element_index: torch.Tensor
    masses: torch.Tensor
    radii: torch.Tensor
    charges: torch.Tensor | None
    is_virtual: torch.Tensor
    molecule_index: torch.Tensor
    reference_atom: torch.Tensor
    molecule_atoms: torch.Tensor
    species: torch.Tensor
    bonds: torch.Tensor

    @property
    def n_atoms(self) -> int:
        """Number of atoms ``N``, virtual sites included."""
        return len(self.elements)

    @property
    def n_molecules(self) -> int:
        """Number of molecules ``M``."""
        return int(self.reference_atom.shape[0])

    @property
    def graph_atoms(self) -> torch.Tensor:
        """Shape ``(N_real,)``, int64: the atoms that enter graphs (all but virtual sites)."""
        return torch.nonzero(~self.is_virtual).flatten()


def _species(
    elements: list[str],
    bonds: np.ndarray,
    charges: np.ndarray | None,
    molecule_index: np.ndarray,
    molecule_atoms: np.ndarray,
) -> np.ndarray:
    """Species id of each molecule from its ordered elements, charges and bonds (local ranks)."""
    filled = molecule_atoms >= 0
    local_rank = np.empty(len(elements), dtype=np.int64)
    local_rank[molecule_atoms[filled]] = np.nonzero(filled)[1]
    bonds_of: list[list[tuple[int, int]]] = [[] for _ in range(len(molecule_atoms))]
    for i, j in bonds:
        bonds_of[molecule_index[i]].append((int(local_rank[i]), int(local_rank[j])))
    ids: dict[tuple, int] = {}
    species = np.empty(len(molecule_atoms), dtype=np.int64)
    for m, row in enumerate(molecule_atoms):
        atoms = row[row >= 0]
        signature = (
            tuple(elements[k] for k in atoms),
            () if charges is None else tuple(np.round(charges[atoms], 4)),
            tuple(sorted(bonds_of[m])),
        )
        species[m] = ids.setdefault(signature, len(ids))
    return species


def build_molecular_topology(
    topology: md.Topology,
    source_atoms: np.ndarray,
    system: SystemParameters | None = None,
    vocabulary: list[str] | None = None,
) -> MolecularTopology:
    """Molecules, atom features and bonds of a topology.

    Parameters
    ----------
    topology : md.Topology
        The atoms a model sees (already subset by any selection).
    source_atoms : np.ndarray
        Shape ``(N,)``, int64, their indices in the topology file.
    system : SystemParameters, optional
        Masses, charges and virtual sites of these atoms from an OpenMM System; without it masses
        come from the elements and there are no charges.
    vocabulary : list of str, optional
        Element vocabulary of an existing model; default: the sorted elements present.

    Returns
    -------
    MolecularTopology

    Raises
    ------
    InputError
        When an element is missing from ``vocabulary``.
    """
    topology = with_bonds(topology)
    virtual = virtual_site_flags(topology) if system is None else system.virtual
    atoms = list(topology.atoms)
    elements = [VIRTUAL_SYMBOL if v else a.element.symbol for a, v in zip(atoms, virtual)]
    present = sorted({e for e, v in zip(elements, virtual) if not v})
    vocabulary = present if vocabulary is None else list(vocabulary)
    unknown = sorted(set(present) - set(vocabulary))
    if unknown:
        raise InputError(f"elements {unknown} are not in the model's vocabulary {vocabulary}")
    lookup = {symbol: k for k, symbol in enumerate(vocabulary)}
    element_index = np.array([-1 if v else lookup[e] for e, v in zip(elements, virtual)])
    if system is None:
        masses = np.array([0.0 if v else a.element.mass for a, v in zip(atoms, virtual)])
    else:
        masses = system.masses
    radii = np.array([0.0 if v else a.element.radius for a, v in zip(atoms, virtual)])
    charges = None if system is None else system.charges

    molecule_index, reference_atom = find_molecules(topology, virtual)
    bonds = np.array(
        sorted(
            (min(a.index, b.index), max(a.index, b.index))
            for a, b in topology.bonds
            if not virtual[a.index] and not virtual[b.index]
        ),
        dtype=np.int64,
    ).reshape(-1, 2)
    molecule_table = group_table(torch.from_numpy(molecule_index), len(reference_atom))
    species = _species(elements, bonds, charges, molecule_index, molecule_table.numpy())
    return MolecularTopology(
        topology=topology,
        source_atoms=torch.as_tensor(source_atoms, dtype=torch.long),
        elements=elements,
        vocabulary=vocabulary,
        element_index=torch.as_tensor(element_index, dtype=torch.long),
        masses=torch.as_tensor(masses, dtype=torch.float64),
        radii=torch.as_tensor(radii, dtype=torch.float64),
        charges=None if charges is None else torch.as_tensor(charges, dtype=torch.float64),
        is_virtual=torch.as_tensor(virtual, dtype=torch.bool),
        molecule_index=torch.from_numpy(molecule_index),
        reference_atom=torch.from_numpy(reference_atom),
        molecule_atoms=molecule_table,
        species=torch.from_numpy(species),
        bonds=torch.from_numpy(bonds),
    )


def bond_lengths(positions: torch.Tensor, box: torch.Tensor, bonds: torch.Tensor) -> torch.Tensor:
    """Minimum-image lengths of bonds.

    Parameters
    ----------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm.
    box : torch.Tensor
        Shape ``(3, 3)`` or ``(..., 3, 3)``, rows a, b, c in nm, reduced form.
    bonds : torch.Tensor
        Shape ``(E, 2)``, int64 atom pairs.

    Returns
    -------
    torch.Tensor
        Shape ``(..., E)``, nm.
    """
    dr = positions.index_select(-2, bonds[:, 1]) - positions.index_select(-2, bonds[:, 0])
    return safe_norm(minimum_image(dr, box.unsqueeze(-3)))
