"""Symmetry operations of a periodic system, for training augmentation and invariance tests.

Each operation leaves every interatomic minimum-image distance unchanged (up to the relabelling of
atoms for :func:`permute_molecules`). Positions are ``(..., N, 3)`` in nm, boxes ``(3, 3)`` or one
per leading index ``(..., 3, 3)``, rows a, b, c in nm, reduced form.
"""

from __future__ import annotations

import torch

from latentcv.data.features import MolecularTopology
from latentcv.geometry import rotate_to_reduced

CYCLIC_BASIS = torch.tensor([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
"""Integer matrix taking the box vectors (a, b, c) to (b, c, a): the same lattice, right-handed."""


def rotate_system(
    positions: torch.Tensor, box: torch.Tensor, rotation: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate positions and box together, then rotate back so that the box is in reduced form.

    For a box that is already lower triangular the second rotation undoes the first (the
    lower-triangular form with a positive diagonal is unique), so the net change is round-off;
    a box in another orientation (or a new lattice basis, :func:`change_basis`) gives a real
    rotation of the configuration.

    Parameters
    ----------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm.
    box : torch.Tensor
        Shape ``(..., 3, 3)``, nm.
    rotation : torch.Tensor
        Shape ``(3, 3)``, proper rotation matrix applied as ``x -> R x``.

    Returns
    -------
    positions, box : torch.Tensor
        Same shapes, nm, box in reduced form.
    """
    rotation = rotation.to(positions.device, positions.dtype)
    return rotate_to_reduced(positions @ rotation.T, box @ rotation.T)


def change_basis(
    positions: torch.Tensor, box: torch.Tensor, basis: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Describe the same lattice by the box vectors ``basis @ box``, rotated into reduced form.

    With :data:`CYCLIC_BASIS` the crystal turns relative to the laboratory axes (the old b axis
    becomes the new a axis), which is how a periodic system gets a nontrivial rotation.

    Parameters
    ----------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm.
    box : torch.Tensor
        Shape ``(..., 3, 3)``, nm.
    basis : torch.Tensor
        Shape ``(3, 3)``, or ``(..., 3, 3)`` broadcasting against ``box`` (one per frame or view):
        integer matrices with determinant +1.

    Returns
    -------
    positions, box : torch.Tensor
        Same shapes, nm, box in reduced form.
    """
    if bool((torch.round(torch.linalg.det(basis.double())) != 1).any()):
        raise ValueError("a change of lattice basis needs an integer matrix with determinant +1")
    return rotate_to_reduced(positions, basis.to(box.device, box.dtype) @ box)


def random_rotation_matrix(
    generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """A rotation matrix drawn uniformly from SO(3) (QR of a Gaussian matrix), shape ``(3, 3)``."""
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))
    if torch.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q.to(dtype)


def random_rotation(
    positions: torch.Tensor, box: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Relabel the box vectors cyclically at random, then :func:`rotate_system` at random.

    Returns
    -------
    positions, box : torch.Tensor
        Shapes as given, nm, box in reduced form.
    """
    turns = int(torch.randint(3, (1,), generator=generator))
    basis = torch.linalg.matrix_power(CYCLIC_BASIS, turns)
    positions, box = change_basis(positions, box, basis)
    return rotate_system(positions, box, random_rotation_matrix(generator, positions.dtype))


def translate(positions: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Shift every atom by ``shift`` (shape ``(3,)`` or ``(..., 1, 3)``, nm)."""
    return positions + shift


def random_translation(
    positions: torch.Tensor, box: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Shift every atom by one random point of the box (per frame for batched input), nm."""
    fractions = torch.rand(box.shape[:-2] + (1, 3), generator=generator, dtype=box.dtype)
    return translate(positions, fractions.to(box.device) @ box)


def shift_by_images(
    positions: torch.Tensor, box: torch.Tensor, images: torch.Tensor
) -> torch.Tensor:
    """Move atoms by integer lattice vectors: ``positions + images @ box``.

    Parameters
    ----------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm.
    box : torch.Tensor
        Shape ``(..., 3, 3)``, nm.
    images : torch.Tensor
        Shape ``(..., N, 3)``, integers: lattice vector multiples per atom.
    """
    return positions + images.to(box.device, box.dtype) @ box


def random_atom_images(
    positions: torch.Tensor,
    box: torch.Tensor,
    max_shift: int = 1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Move each atom independently by random lattice vectors (splits molecules across images)."""
    images = torch.randint(-max_shift, max_shift + 1, positions.shape, generator=generator)
    return shift_by_images(positions, box, images)


def random_molecule_images(
    positions: torch.Tensor,
    box: torch.Tensor,
    molecule_index: torch.Tensor,
    max_shift: int = 1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Move each whole molecule by its own random lattice vector (keeps molecules whole).

    ``molecule_index`` has shape ``(N,)``, int64, the molecule of each atom.
    """
    n_molecules = int(molecule_index.max()) + 1
    shape = positions.shape[:-2] + (n_molecules, 3)
    images = torch.randint(-max_shift, max_shift + 1, shape, generator=generator)
    return shift_by_images(positions, box, images.index_select(-2, molecule_index.cpu()))


def permute_molecules(
    positions: torch.Tensor,
    molecular: MolecularTopology,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exchange identical molecules (same species) at random, atom block by atom block.

    The topology is unchanged: atom ``k`` of the result is atom ``permutation[k]`` of the input,
    of the same element in the same place of an identical molecule.

    Parameters
    ----------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm.
    molecular : MolecularTopology

    Returns
    -------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm.
    permutation : torch.Tensor
        Shape ``(N,)``, int64.
    """
    species = molecular.species
    n_molecules = species.shape[0]
    order = torch.argsort(species, stable=True)
    shuffled = torch.randperm(n_molecules, generator=generator)
    shuffled = shuffled[torch.argsort(species[shuffled], stable=True)]
    target = molecular.molecule_atoms[order]
    source = molecular.molecule_atoms[shuffled]
    filled = target >= 0
    permutation = torch.arange(molecular.n_atoms)
    permutation[target[filled]] = source[filled]
    return positions.index_select(-2, permutation), permutation
