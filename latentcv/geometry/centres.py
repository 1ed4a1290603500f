"""Whole molecules and molecular centres of mass across periodic boundaries.

Molecules are given by an atom -> molecule index and, per molecule, a reference atom (its first
real atom). Every atom is placed at the minimum image of its molecule's reference atom, which is
exact when every atom lies within half the smallest box width of the reference atom (the data layer
checks this and rejects longer molecules).
"""

import torch

from latentcv.geometry.minimum_image import minimum_image
from latentcv.geometry.rows import gather_rows, sum_rows


def make_whole(
    positions: torch.Tensor,
    box: torch.Tensor,
    molecule_index: torch.Tensor,
    reference_atom: torch.Tensor,
) -> torch.Tensor:
    """Unwrap molecules: put every atom at the minimum image of its molecule's reference atom.

    Parameters
    ----------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm, atoms wrapped anyhow.
    box : torch.Tensor
        Shape ``(3, 3)`` or ``(..., 3, 3)`` (one box per leading index), rows a, b, c in nm,
        reduced form.
    molecule_index : torch.Tensor
        Shape ``(N,)``, int64, molecule of each atom.
    reference_atom : torch.Tensor
        Shape ``(M,)``, int64, atom index of each molecule's reference atom.

    Returns
    -------
    torch.Tensor
        Shape ``(..., N, 3)``, nm; reference atoms keep their positions.
    """
    reference = gather_rows(positions, reference_atom.index_select(0, molecule_index))
    return reference + minimum_image(positions - reference, box.unsqueeze(-3))


def centres_of_mass(
    positions: torch.Tensor,
    box: torch.Tensor,
    molecule_index: torch.Tensor,
    reference_atom: torch.Tensor,
    masses: torch.Tensor,
) -> torch.Tensor:
    """Centres of mass of whole molecules, correct for molecules split across the boundary.

    Parameters
    ----------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm.
    box : torch.Tensor
        Shape ``(3, 3)`` or ``(..., 3, 3)``, rows a, b, c in nm, reduced form.
    molecule_index : torch.Tensor
        Shape ``(N,)``, int64, molecule of each atom.
    reference_atom : torch.Tensor
        Shape ``(M,)``, int64, reference atom of each molecule.
    masses : torch.Tensor
        Shape ``(N,)``, atomic masses in dalton (massless virtual sites contribute nothing); every
        molecule needs a positive total mass.

    Returns
    -------
    torch.Tensor
        Shape ``(..., M, 3)``, nm, near the molecules' reference atoms (not wrapped into the box).
    """
    whole = make_whole(positions, box, molecule_index, reference_atom)
    return centres_of_whole(whole, molecule_index, masses, reference_atom.shape[0])


def centres_of_whole(
    whole: torch.Tensor, molecule_index: torch.Tensor, masses: torch.Tensor, n_molecules: int
) -> torch.Tensor:
    """Centres of mass of molecules already made whole (:func:`make_whole`).

    Parameters
    ----------
    whole : torch.Tensor
        Shape ``(..., N, 3)``, nm, every molecule's atoms at one periodic image.
    molecule_index : torch.Tensor
        Shape ``(N,)``, int64, molecule of each atom.
    masses : torch.Tensor
        Shape ``(N,)``, dalton; every molecule needs a positive total mass.
    n_molecules : int
        M.

    Returns
    -------
    torch.Tensor
        Shape ``(..., M, 3)``, nm.
    """
    weights = masses.to(whole.dtype)
    total = torch.zeros(n_molecules, dtype=whole.dtype, device=whole.device)
    total = total.index_add(0, molecule_index, weights)
    sums = sum_rows(whole * weights.unsqueeze(-1), molecule_index, n_molecules)
    return sums / total.unsqueeze(-1)
