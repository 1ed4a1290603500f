"""Smooth switching functions for cutoffs: 1 below r_on, 0 at and beyond r_cut, zero slope at both.

Each returns exactly 0 with an exactly zero gradient at and beyond ``r_cut``, so that a pair that
crosses the cutoff changes neither a CV nor its force discontinuously.
"""

import math

import torch


def _reduced_distance(r: torch.Tensor, r_on: float, r_cut: float) -> torch.Tensor:
    """``(r - r_on) / (r_cut - r_on)`` clipped to [0, 1]; dimensionless, shape of ``r``."""
    if not r_on < r_cut:
        raise ValueError("switching needs r_on < r_cut")
    return torch.clamp((r - r_on) / (r_cut - r_on), 0.0, 1.0)


def switch_polynomial(r: torch.Tensor, r_on: float, r_cut: float) -> torch.Tensor:
    """Quintic switch ``1 - 10 t^3 + 15 t^4 - 6 t^5`` with ``t = (r - r_on) / (r_cut - r_on)``.

    Continuous with continuous first and second derivatives (C2) at ``r_on`` and ``r_cut``.

    Parameters
    ----------
    r : torch.Tensor
        Distances in nm, any shape.
    r_on : float
        Distance (nm) below which the switch is 1.
    r_cut : float
        Distance (nm) at and beyond which the switch is 0; ``r_on < r_cut``.

    Returns
    -------
    torch.Tensor
        Dimensionless values in [0, 1], shape of ``r``.
    """
    t = _reduced_distance(r, r_on, r_cut)
    s = 1.0 + t * t * t * (-10.0 + t * (15.0 - 6.0 * t))
    return torch.where(r >= r_cut, torch.zeros_like(s), s)


def switch_cosine(r: torch.Tensor, r_on: float, r_cut: float) -> torch.Tensor:
    """Cosine switch ``(1 + cos(pi t)) / 2`` with ``t = (r - r_on) / (r_cut - r_on)``.

    Continuous with a continuous first derivative (C1) at ``r_on`` and ``r_cut``. Parameters as
    for :func:`switch_polynomial`: distances ``r`` (any shape) and ``r_on < r_cut`` in nm; returns
    dimensionless values in [0, 1] of the shape of ``r``.
    """
    t = _reduced_distance(r, r_on, r_cut)
    s = 0.5 * (1.0 + torch.cos(math.pi * t))
    return torch.where(r >= r_cut, torch.zeros_like(s), s)


def switch_cubic(r: torch.Tensor, r_on: float, r_cut: float) -> torch.Tensor:
    """Cubic switch ``(t - 1)^2 (1 + 2 t) = 1 - 3 t^2 + 2 t^3`` with ``t = (r - r_on) / (r_cut - r_on)``.

    PLUMED's ``CUBIC D_0=r_on D_MAX=r_cut`` switching function, so that a CV built on it can be
    checked against PLUMED's own actions; continuous with a continuous first derivative (C1) at
    ``r_on`` and ``r_cut``. Parameters and return as for :func:`switch_polynomial`.
    """
    t = _reduced_distance(r, r_on, r_cut)
    s = 1.0 + t * t * (2.0 * t - 3.0)
    return torch.where(r >= r_cut, torch.zeros_like(s), s)
