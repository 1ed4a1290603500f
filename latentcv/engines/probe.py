"""A tiny analytic periodic function of positions, used to check that the engines work.

``latentcv doctor`` and the engine tests evaluate it through openmm-torch and PLUMED and compare
with PyTorch autograd. It is not a CV for science: it is smooth, periodic and cheap, and its
gradient is known in closed form.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


class LatticeProbe(torch.nn.Module):
    """Energy ``E = k Σ_i Σ_d cos(2π s_id)`` in kJ/mol.

    With a box, ``s = x B⁻¹`` are fractional coordinates (B holds the box vectors as rows), so E is
    periodic in every lattice direction. Without one, ``s = x / length``.

    Parameters
    ----------
    k : float
        Amplitude, kJ/mol.
    length : float
        Period used when no box is given, nm.
    """

    def __init__(self, k: float = 1.0, length: float = 1.0) -> None:
        super().__init__()
        self.k = k
        self.length = length

    def forward(self, positions: Tensor, boxvectors: Tensor | None = None) -> Tensor:
        """E for ``positions[n, 3]`` (nm) and optional ``boxvectors[3, 3]`` (nm); a 0-d tensor."""
        x = positions.to(torch.float64)
        if boxvectors is None:
            s = x / self.length
        else:
            s = x @ torch.linalg.inv(boxvectors.to(torch.float64))
        energy = self.k * torch.cos(2.0 * math.pi * s).sum()
        return energy.to(positions.dtype)


def probe_configuration(seed: int = 0, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Random positions ``[n, 3]`` (nm) inside a reduced triclinic box ``[3, 3]`` (nm)."""
    rng = np.random.default_rng(seed)
    box = np.array([[2.0, 0.0, 0.0], [0.4, 1.8, 0.0], [-0.3, 0.5, 2.2]])
    return rng.uniform(0.0, 1.0, (n, 3)) @ box, box


def probe_reference(positions: np.ndarray, box: np.ndarray | None) -> tuple[float, np.ndarray]:
    """Energy (kJ/mol) and forces (kJ/mol/nm) of the default :class:`LatticeProbe` from PyTorch
    autograd, float64."""
    x = torch.tensor(positions, dtype=torch.float64, requires_grad=True)
    b = None if box is None else torch.tensor(box, dtype=torch.float64)
    energy = LatticeProbe()(x, b)
    (grad,) = torch.autograd.grad(energy, x)
    return float(energy.detach()), -grad.numpy()
