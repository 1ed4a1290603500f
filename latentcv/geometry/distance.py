"""Euclidean norms whose gradient stays finite at zero length."""

import torch


def safe_norm(vectors: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Length of vectors along axis ``dim`` (the last by default), with a zero (not NaN) gradient
    at zero length.

    ``torch.linalg.norm`` has the gradient ``x / |x|``, which is NaN at ``x = 0``; this returns the
    exact length everywhere and the gradient 0 at the origin.

    Parameters
    ----------
    vectors : torch.Tensor
        Shape ``(..., 3)`` (any last size), in nm, or the components along another axis ``dim``.
    dim : int
        The axis of the components.

    Returns
    -------
    torch.Tensor
        ``vectors``' shape without axis ``dim``, lengths in nm.
    """
    squared = (vectors * vectors).sum(dim)
    nonzero = squared > 0
    safe_squared = torch.where(nonzero, squared, torch.ones_like(squared))
    return torch.where(nonzero, torch.sqrt(safe_squared), torch.zeros_like(squared))
