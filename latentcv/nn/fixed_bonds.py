"""Molecules whose bonds the MD holds at fixed lengths: stage 1 computed once, at export.

Stage 1 (:class:`latentcv.nn.intra.IntraMolecularGNN`), the pooling and the weights of the
molecular direction vectors read the positions only through the bond lengths. When the MD constrains
every bond the encoder reads (rigid water: OpenMM's ``rigidWater``, SETTLE in GROMACS, SHAKE in LAMMPS),
those lengths are constants, and so are the molecule nodes and the direction weights. An exported CV
can then store them (:meth:`latentcv.nn.encoder.HierarchicalEncoder.fix_bonds`) and skip stage 1 and
the pooling at every MD step.

Such a CV equals the full CV wherever the bonds have the stored lengths. Its gradient differs from the
full CV's by sum_b (dCV/dl_b) grad l_b, a combination of the gradients of the constrained bond lengths,
which the constraint forces cancel: the constrained dynamics are the same (the net force and torque on
every rigid molecule agree). Off those lengths, with flexible bonds, it is another function, so
``latentcv metad`` checks the System's constraints (:func:`latentcv.engines.openmm.constraints.check_fixed_bonds`).

The lengths (a System's constraint lengths, or the bond lengths of one structure) are averaged over
equivalent bonds (the same two atoms of molecules of the same species), and the stored rows are
copied from the first molecule of each species, so that identical molecules get identical rows and
the CV stays exactly invariant to permuting them.
"""

from __future__ import annotations

import torch
from torch import Tensor

from latentcv.geometry.grouping import group_table

#: nm: the most a bond may differ from the mean of its equivalent bonds (and, in ``latentcv metad``,
#: from the System's constraint length). Rigid molecules written to a PDB (0.001 Å precision)
#: differ by less than 1e-4 nm.
LENGTH_TOLERANCE = 1e-3


def local_ranks(atom_mol: Tensor, n_mol: int) -> Tensor:
    """Rank of each atom among the atoms of its molecule (0 for its first atom), ``[n]`` int64."""
    return _ranks(group_table(atom_mol, n_mol), atom_mol)


def _ranks(table: Tensor, atom_mol: Tensor) -> Tensor:
    """:func:`local_ranks` from the molecules' atom table (:func:`latentcv.geometry.group_table`)."""
    ranks = torch.empty_like(atom_mol)
    filled = table >= 0
    ranks[table[filled]] = torch.nonzero(filled)[:, 1]
    return ranks


def bond_classes(bonds: Tensor, atom_mol: Tensor, species: Tensor) -> Tensor:
    """Class of each bond ``[Nb]`` (int64): bonds between the same two atoms (by rank) of molecules of
    the same species share a class. ``bonds[2, Nb]`` are atom indices, ``atom_mol[n]`` molecule
    indices, ``species[M]`` species indices."""
    ranks = local_ranks(atom_mol, species.shape[0])
    keys = torch.stack([species[atom_mol[bonds[0]]], ranks[bonds[0]], ranks[bonds[1]]], dim=1)
    return torch.unique(keys, dim=0, return_inverse=True)[1]


def class_means(values: Tensor, classes: Tensor) -> tuple[Tensor, float]:
    """Each value replaced by the mean of its class, and the largest deviation of a value from it."""
    n_classes = int(classes.max()) + 1 if classes.numel() else 0
    sums = values.new_zeros(n_classes).index_add(0, classes, values)
    counts = torch.bincount(classes, minlength=n_classes).to(values)
    means = (sums / counts)[classes]
    return means, float((values - means).abs().max()) if values.numel() else 0.0


def canonical_atoms(atom_mol: Tensor, species: Tensor) -> Tensor:
    """For each atom ``[n]``, the atom of the same rank in the first molecule of its molecule's species."""
    n_mol = species.shape[0]
    first = torch.full((int(species.max()) + 1,), n_mol, dtype=torch.long)
    first = first.scatter_reduce(0, species, torch.arange(n_mol), "amin")
    table = group_table(atom_mol, n_mol)
    return table[first[species[atom_mol]], _ranks(table, atom_mol)]
