"""Minimum-image displacements in a reduced triclinic (or orthorhombic) box."""

import torch

from latentcv.geometry.box import half_min_width


def minimum_image(dr: torch.Tensor, box: torch.Tensor, dim: int = -1) -> torch.Tensor:
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
    dim : int
        Axis of ``dr`` that holds the components: -1 (the default, ``dr`` of shape ``(..., 3)``)
        or 0 (``dr`` of shape ``(3, P)``, one box ``(3, 3)``). Many displacements stored by
        component, each component contiguous, take PyTorch's fast CPU kernels; with 3 components
        innermost the same numbers cost several times more (4x for 12,000 pairs).

    Returns
    -------
    torch.Tensor
        Shape ``(..., 3)``, nm. The image shift is a whole number of box vectors, piecewise
        constant, so the gradient with respect to ``dr`` is the identity and the one with respect
        to the box is minus those numbers (the virial term PLUMED needs).
    """
    if dim != -1 and dim != 0:
        raise ValueError("the components of the displacements must lie along axis -1 or 0")
    for k in (2, 1, 0):
        vector = box[..., k, :] if dim == -1 else box[k].unsqueeze(1)
        # The image counts are integers: computed without gradient, so that autograd records only
        # the subtraction of whole box vectors (same gradients, a cheaper backward). no_grad rather
        # than detach(): torch.jit.freeze, which openmm-torch applies, deletes detach() calls.
        with torch.no_grad():
            count = torch.round(dr.narrow(dim, k, 1) / vector.narrow(dim, k, 1))
        dr = dr - vector * count
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
