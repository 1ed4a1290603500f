"""Minimum-image displacements in a reduced triclinic (or orthorhombic) box."""

import torch

from latentcv.geometry.box import half_min_width


def minimum_image(dr: torch.Tensor, box: torch.Tensor) -> torch.Tensor:
    """Shortest periodic image of displacement vectors, OpenMM's way.

    Subtracts ``c round(dz/cz)``, then ``b round(dy/by)``, then ``a round(dx/ax)``. For a box in
    reduced form (:func:`latentcv.geometry.reduce_box`) the result is the true minimum image for
    every displacement whose minimum-image length is below half the smallest box width
    (:func:`latentcv.geometry.half_min_width`); longer displacements get a lattice-equivalent vector
    that need not be the shortest. Every cutoff used with it must therefore stay below half the
    smallest box width (:func:`check_cutoff`), the same rule OpenMM enforces.

    Parameters
    ----------
    dr : torch.Tensor
        Shape ``(..., 3)``, displacements in nm.
    box : torch.Tensor
        Shape ``(3, 3)`` or ``(..., 3, 3)`` broadcastable against ``dr``'s leading axes (for
        ``dr`` of shape ``(B, P, 3)`` pass ``box[:, None]`` of shape ``(B, 1, 3, 3)``); rows a, b,
        c in nm, reduced form.

    Returns
    -------
    torch.Tensor
        Shape ``(..., 3)``, nm. The image shift is a whole number of box vectors, piecewise
        constant, so the gradient with respect to ``dr`` is the identity and the one with respect
        to the box is minus those numbers (the virial term PLUMED needs).
    """
    a = box[..., 0, :]
    b = box[..., 1, :]
    c = box[..., 2, :]
    # the image counts are integers: computed from detached values, so that autograd records only
    # the subtraction of whole box vectors (the gradients are the same, the backward is cheaper)
    dr = dr - c * torch.round(dr[..., 2:3].detach() / c[..., 2:3].detach())
    dr = dr - b * torch.round(dr[..., 1:2].detach() / b[..., 1:2].detach())
    dr = dr - a * torch.round(dr[..., 0:1].detach() / a[..., 0:1].detach())
    return dr


def check_cutoff(box: torch.Tensor, cutoff: float) -> None:
    """Raise ``ValueError`` unless ``cutoff`` is below half the smallest width of every box.

    Parameters
    ----------
    box : torch.Tensor
        Shape ``(..., 3, 3)``, rows a, b, c in nm.
    cutoff : float
        nm.
    """
    limit = float(half_min_width(box).min())
    if cutoff >= limit:
        raise ValueError(
            "cutoff " + str(cutoff) + " nm is not below half the smallest box width ("
            + str(limit) + " nm)"
        )
