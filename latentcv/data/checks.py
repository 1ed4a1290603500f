"""Checks on prepared frames that raise :class:`latentcv.errors.InputError`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from latentcv.data.features import MolecularTopology, bond_lengths
from latentcv.errors import InputError
from latentcv.geometry import half_min_width, safe_norm

BOND_TOLERANCE = 1e-3
"""nm: a bond of a whole molecule longer than its minimum image by more means a wrong image."""


def check_molecules_fit(
    whole: torch.Tensor,
    boxes: torch.Tensor,
    molecular: MolecularTopology,
    path: Path,
    frames: np.ndarray,
) -> None:
    """Reject molecules that span half the smallest box width or more.

    Whole molecules are built from the minimum image of each molecule's reference atom, which is
    only unique when the molecule is shorter than half the box. A longer molecule shows up as an
    atom at half the width or more from its reference atom, or as a bond of the rebuilt molecule
    that is longer than the same bond's minimum image.

    Parameters
    ----------
    whole : torch.Tensor
        Shape ``(B, N, 3)``, nm, molecules made whole.
    boxes : torch.Tensor
        Shape ``(B, 3, 3)``, nm, reduced form.
    molecular : MolecularTopology
    path : Path
        The trajectory, for the message.
    frames : np.ndarray
        Shape ``(B,)``, frame indices in the file, for the message.

    Raises
    ------
    InputError
    """
    half = half_min_width(boxes)
    reference = whole[:, molecular.reference_atom[molecular.molecule_index]]
    bad_atom = safe_norm(whole - reference) >= half.unsqueeze(-1)
    i, j = molecular.bonds[:, 0], molecular.bonds[:, 1]
    direct = safe_norm(whole[:, j] - whole[:, i])
    bad_bond = direct - bond_lengths(whole, boxes, molecular.bonds) > BOND_TOLERANCE
    for bad, atom_of in ((bad_atom, None), (bad_bond, i)):
        if bool(bad.any()):
            frame, k = (int(v) for v in torch.nonzero(bad)[0])
            atom = k if atom_of is None else int(atom_of[k])
            molecule = int(molecular.molecule_index[atom])
            residue = molecular.topology.atom(atom).residue
            raise InputError(
                f"molecule {molecule} (residue {residue}) in frame {frames[frame]} of {path} spans "
                f"half the smallest box width ({2 * float(half[frame]):.3f} nm) or more; "
                "latentcv needs every molecule shorter than half the box"
            )
