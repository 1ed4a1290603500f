"""What the encoder reads from a :class:`latentcv.data.features.MolecularTopology`.

The encoder sees the real atoms only (virtual sites such as the TIP4P M site are dropped), each
with invariant features: a one-hot element over the model's vocabulary, mass / 16 Da, radius /
0.15 nm and, when the model uses them, partial charge in e. Atom and molecule indices are
renumbered over those atoms.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from latentcv.data.features import MolecularTopology
from latentcv.errors import InputError

MASS_SCALE = 16.0  # Da
RADIUS_SCALE = 0.15  # nm


@dataclass
class EncoderInputs:
    """Topology tensors for :meth:`latentcv.nn.encoder.HierarchicalEncoder.set_topology`.

    Attributes
    ----------
    atoms : Tensor[n]
        Indices of the encoder's atoms among the MolecularTopology's N atoms (frame positions).
    source_atoms : Tensor[n]
        Their indices in the topology file, i.e. among an OpenMM System's particles.
    features : Tensor[n, feature_dim]
    atom_mol : Tensor[n]
    bonds : Tensor[2, Nb]
    masses : Tensor[n]
    species : Tensor[M]
    """

    atoms: Tensor
    source_atoms: Tensor
    features: Tensor
    atom_mol: Tensor
    bonds: Tensor
    masses: Tensor
    species: Tensor

    def topology(self) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """Arguments of ``set_topology`` in order."""
        return self.features, self.atom_mol, self.bonds, self.masses, self.species


def feature_dim(vocabulary: list[str]) -> int:
    """Number of atom features for an element vocabulary."""
    return len(vocabulary) + 3


def encoder_inputs(molecular: MolecularTopology, use_charges: bool) -> EncoderInputs:
    """Encoder tensors of a topology.

    Parameters
    ----------
    molecular : MolecularTopology
        From the data layer (its vocabulary is the model's).
    use_charges : bool
        Whether the model reads partial charges; then the topology must carry them (an OpenMM
        System XML), else an InputError says so.
    """
    if use_charges and molecular.charges is None:
        raise InputError("this model reads partial charges: give the OpenMM System XML (--system-xml)")
    atoms = molecular.graph_atoms
    renumber = torch.full((molecular.n_atoms,), -1, dtype=torch.long)
    renumber[atoms] = torch.arange(atoms.shape[0])
    one_hot = torch.nn.functional.one_hot(molecular.element_index[atoms], len(molecular.vocabulary)).float()
    charges = molecular.charges[atoms] if use_charges and molecular.charges is not None else torch.zeros(atoms.shape[0])
    scalars = torch.stack([molecular.masses[atoms] / MASS_SCALE, molecular.radii[atoms] / RADIUS_SCALE,
                           charges.to(torch.float64)], dim=1).float()
    bonds = renumber[molecular.bonds.t()] if molecular.bonds.numel() else torch.zeros(2, 0, dtype=torch.long)
    return EncoderInputs(
        atoms=atoms,
        source_atoms=molecular.source_atoms[atoms],
        features=torch.cat([one_hot, scalars], dim=1),
        atom_mol=molecular.molecule_index[atoms],
        bonds=bonds,
        masses=molecular.masses[atoms].float(),
        species=molecular.species,
    )
