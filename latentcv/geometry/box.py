"""Periodic boxes in OpenMM's reduced form.

A box is a tensor ``[..., 3, 3]`` whose rows are the box vectors a, b, c in nm. OpenMM's reduced
form is ``a = (ax, 0, 0)``, ``b = (bx, by, 0)``, ``c = (cx, cy, cz)`` with ``ax, by, cz > 0``,
``|bx| <= ax/2``, ``|cx| <= ax/2`` and ``|cy| <= by/2``; every box OpenMM hands to a force is in it,
and :func:`latentcv.geometry.minimum_image` relies on it.
"""

import torch


def reduce_box(box: torch.Tensor) -> torch.Tensor:
    """Bring a lower-triangular box to reduced form by adding integer multiples of box vectors.

    The lattice is unchanged (OpenMM's ``reducePeriodicBoxVectors``): ``c -= b round(cy/by)``,
    ``c -= a round(cx/ax)``, ``b -= a round(bx/ax)``.

    Parameters
    ----------
    box : torch.Tensor
        Shape ``(..., 3, 3)``, rows a, b, c in nm, lower triangular (use :func:`rotate_to_reduced`
        for a box of any orientation).

    Returns
    -------
    torch.Tensor
        Shape ``(..., 3, 3)``, the same lattice in reduced form, nm.
    """
    a = box[..., 0, :]
    b = box[..., 1, :]
    c = box[..., 2, :]
    c = c - b * torch.round(c[..., 1:2] / b[..., 1:2])
    c = c - a * torch.round(c[..., 0:1] / a[..., 0:1])
    b = b - a * torch.round(b[..., 0:1] / a[..., 0:1])
    return torch.stack([a, b, c], dim=-2)


def box_is_reduced(box: torch.Tensor, tolerance: float = 1e-6) -> bool:
    """Whether every box in ``box`` is in OpenMM's reduced form.

    Parameters
    ----------
    box : torch.Tensor
        Shape ``(..., 3, 3)``, rows a, b, c in nm.
    tolerance : float
        Slack in nm for the zero entries and the half-length bounds.

    Returns
    -------
    bool
        True when the upper triangle is zero, the diagonal positive and the off-diagonal entries
        within half the corresponding diagonal entry.
    """
    upper = torch.stack([box[..., 0, 1], box[..., 0, 2], box[..., 1, 2]], dim=-1)
    ax = box[..., 0, 0]
    by = box[..., 1, 1]
    cz = box[..., 2, 2]
    ok = (upper.abs() <= tolerance).all(-1)
    ok = ok & (ax > 0) & (by > 0) & (cz > 0)
    ok = ok & (box[..., 1, 0].abs() <= 0.5 * ax + tolerance)
    ok = ok & (box[..., 2, 0].abs() <= 0.5 * ax + tolerance)
    ok = ok & (box[..., 2, 1].abs() <= 0.5 * by + tolerance)
    return bool(ok.all())


def box_widths(box: torch.Tensor) -> torch.Tensor:
    """Distances between opposite faces of the box (volume over face area), in nm.

    Parameters
    ----------
    box : torch.Tensor
        Shape ``(..., 3, 3)``, rows a, b, c in nm.

    Returns
    -------
    torch.Tensor
        Shape ``(..., 3)``: the widths across the faces (b, c), (c, a) and (a, b), nm.
    """
    a = box[..., 0, :]
    b = box[..., 1, :]
    c = box[..., 2, :]
    volume = torch.linalg.det(box).abs()
    areas = torch.stack(
        [
            torch.linalg.vector_norm(torch.linalg.cross(b, c), dim=-1),
            torch.linalg.vector_norm(torch.linalg.cross(c, a), dim=-1),
            torch.linalg.vector_norm(torch.linalg.cross(a, b), dim=-1),
        ],
        dim=-1,
    )
    return volume.unsqueeze(-1) / areas


def half_min_width(box: torch.Tensor) -> torch.Tensor:
    """Half the smallest face-to-face width: the largest cutoff the minimum image supports, nm.

    Parameters
    ----------
    box : torch.Tensor
        Shape ``(..., 3, 3)``, rows a, b, c in nm.

    Returns
    -------
    torch.Tensor
        Shape ``(...)``, nm.
    """
    return 0.5 * box_widths(box).min(dim=-1).values


def rotate_to_reduced(
    positions: torch.Tensor, box: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate a periodic system so that its box is lower triangular, then reduce the box.

    The rotation comes from the QR decomposition ``box^T = Q R`` (signs fixed so that the diagonal
    of the new box is positive); every interatomic distance is unchanged, and so is every
    minimum-image distance because the lattice is unchanged.

    Parameters
    ----------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, nm.
    box : torch.Tensor
        Shape ``(..., 3, 3)``, rows a, b, c in nm, right-handed (positive determinant).

    Returns
    -------
    positions : torch.Tensor
        Shape ``(..., N, 3)``, rotated, nm.
    box : torch.Tensor
        Shape ``(..., 3, 3)``, in reduced form, nm.
    """
    if bool((torch.linalg.det(box) <= 0).any()):
        raise ValueError("box vectors must be right-handed (positive determinant)")
    q, r = torch.linalg.qr(box.transpose(-1, -2))
    diagonal = torch.diagonal(r, dim1=-2, dim2=-1)
    signs = torch.where(diagonal < 0, -torch.ones_like(diagonal), torch.ones_like(diagonal))
    rotation = q * signs.unsqueeze(-2)
    lower = torch.tril(box @ rotation)
    return positions @ rotation, reduce_box(lower)
