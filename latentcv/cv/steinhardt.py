"""The Steinhardt baseline as an exportable CV: a smooth count of solid-like molecules and global Q6.

One site per molecule (e.g. the oxygen of a water); with the switching weight w_ab = s(r_ab) of
every pair of sites (PLUMED's ``CUBIC`` switch, :func:`latentcv.geometry.switching.switch_cubic`)
and the real spherical harmonics Y_lm of the bond direction r̂_ab:

    q_lm(a)  = Σ_b w_ab Y_lm(r̂_ab) / Σ_b w_ab                          (Steinhardt)
    q̄_lm(a)  = (q_lm(a) + Σ_b w_ab q_lm(b)) / (1 + Σ_b w_ab)           (Lechner-Dellago average)
    q_l(a)   = |q_lm(a)|,  q̄_l(a) = |q̄_lm(a)|                          (norms over m)
    solid_like = Σ_a S(q̄_l(a)),  S(x) = (x/t)^12 / (1 + (x/t)^12)
    Q_l      = |Σ_a q_lm(a) / n|

with t the solid-like threshold. The norms are PLUMED's (``Q6``, ``LOCAL_AVERAGE``, ``VMEAN``):
|v| = √(Σ_m v_m²) over the 2l + 1 real harmonics, which are orthonormal on the sphere, so one
neighbour gives q_l = √((2l+1)/4π) (not 1, as in the 4π/(2l+1)-scaled convention of freud), and
the sum over m is the same as over the complex harmonics. S is PLUMED's ``MORE_THAN`` of a
``RATIONAL`` switch (R_0 = t, NN = 12, MM = 24). Everything is smooth: no cutoff but the switch's
own zero, no rounding. Neighbour averaging makes the per-molecule value see two shells, which is
what separates crystal from melt (Lechner and Dellago, J. Chem. Phys. 129, 114707, 2008);
Steinhardt, Nelson and Ronchetti, Phys. Rev. B 28, 784 (1983).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.polynomial import legendre, polynomial
from torch import Tensor

from latentcv.geometry import VerletPairs, safe_norm, switch_cubic

#: Steepness of the solid-like switch S (PLUMED's NN; MM = 2 NN).
STEEPNESS = 12
#: Names of the components, in order.
NAMES = ("solid_like", "q6")
#: Their meanings (metadata.json).
MEANINGS = {
    "solid_like": "smooth number of molecules whose neighbour-averaged q6 (Lechner-Dellago) exceeds the threshold",
    "q6": "global Steinhardt Q6: norm of the molecules' mean q6m vector",
}


def harmonic_coefficients(degree: int) -> np.ndarray:
    """Coefficients of the real spherical harmonics of ``degree`` l in the form
    c_m · (d^m P_l/dt^m)(t) · Re or Im (u_x + i u_y)^m, t = u_z, for a unit vector u.

    Returns
    -------
    ndarray[l + 1, l + 1]
        Row m holds the polynomial d^m P_l/dt^m in ascending powers of t, times
        N_lm = √((2l+1)/(4π) (l−m)!/(l+m)!) and √2 for m > 0 (the real harmonics' factor).
    """
    base = legendre.leg2poly([0.0] * degree + [1.0])
    rows = np.zeros((degree + 1, degree + 1))
    for m in range(degree + 1):
        derivative = polynomial.polyder(base, m) if m else base
        norm = math.sqrt((2 * degree + 1) / (4 * math.pi) * math.factorial(degree - m) / math.factorial(degree + m))
        rows[m, : derivative.size] = derivative * norm * (math.sqrt(2.0) if m else 1.0)
    return rows


class SteinhardtCV(torch.nn.Module):
    """Smooth solid-like count and global Q_l of molecular sites (see the module docstring).

    Parameters
    ----------
    d_0, d_max : float
        nm: the pair switch is 1 below ``d_0`` and 0 from ``d_max`` on (PLUMED ``CUBIC``).
    threshold : float
        t, the neighbour-averaged q_l (PLUMED's norm) above which a molecule counts as solid-like.
    degree : int
        l (6 by default).
    skin : float
        nm, Verlet skin of the pair list kept between calls (0: search at every call); the values
        do not depend on it.

    Notes
    -----
    ``forward(sites[n, 3], box[3, 3]) -> Tensor[2]`` (``solid_like``, ``q6``): positions in nm, box
    vectors as rows in OpenMM's reduced form. ``per_molecule`` gives q_l(a) and q̄_l(a), ``[n, 2]``.
    """

    def __init__(self, d_0: float, d_max: float, threshold: float, degree: int = 6, skin: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= d_0 < d_max:
            raise ValueError(f"the switch needs 0 <= d_0 < d_max, got {d_0}, {d_max}")
        if degree < 1 or degree % 2:
            raise ValueError(f"the degree l must be even (a bond's harmonics then do not depend on its direction), "
                             f"got {degree}")
        if not threshold > 0.0:
            raise ValueError(f"the solid-like threshold must be positive, got {threshold}")
        self.d_0, self.d_max, self.threshold, self.degree = float(d_0), float(d_max), float(threshold), int(degree)
        self.pairs = VerletPairs(self.d_max, skin)
        self.register_buffer("coefficients", torch.tensor(harmonic_coefficients(self.degree), dtype=torch.float64))
        self.names: list[str] = list(NAMES)
        self.steepness = STEEPNESS

    @torch.jit.unused
    def set_pair_skin(self, skin: float) -> None:
        """Keep the pairs between calls with a Verlet ``skin`` in nm (values and forces unchanged)."""
        self.pairs.skin = float(skin)

    def harmonics(self, bonds: Tensor) -> Tensor:
        """Real spherical harmonics Y_lm of bond vectors ``bonds[P, 3]`` (any length), ``[P, 2l+1]``:
        m = 0, then Re and Im parts for m = 1 … l."""
        u = bonds / safe_norm(bonds).unsqueeze(-1)
        t = u[:, 2:3]
        powers = torch.cat([torch.ones_like(t)] + [t ** k for k in range(1, self.degree + 1)], dim=1)
        legendre_m = powers @ self.coefficients.to(bonds.dtype).t()  # [P, l+1]
        columns = [legendre_m[:, 0]]
        real, imag = u[:, 0], u[:, 1]
        for m in range(1, self.degree + 1):
            columns.append(legendre_m[:, m] * real)
            columns.append(legendre_m[:, m] * imag)
            real, imag = real * u[:, 0] - imag * u[:, 1], real * u[:, 1] + imag * u[:, 0]
        return torch.stack(columns, dim=1)

    def vectors(self, sites: Tensor, box: Tensor) -> tuple[Tensor, Tensor]:
        """q_lm(a) ``[n, 2l+1]`` and q̄_lm(a) ``[n, 2l+1]`` of every site."""
        n = sites.shape[0]
        i, j, dr, dist = self.pairs(sites, box)
        w = switch_cubic(dist, self.d_0, self.d_max)
        bonds = w.unsqueeze(1) * self.harmonics(dr)  # the same for both ends: Y_lm(−r̂) = Y_lm(r̂), l even
        both = torch.cat([i, j])
        total = torch.zeros(n, bonds.shape[1], dtype=sites.dtype, device=sites.device).index_add(
            0, both, torch.cat([bonds, bonds]))
        coordination = torch.zeros(n, dtype=sites.dtype, device=sites.device).index_add(0, both, torch.cat([w, w]))
        q = total / (coordination + 1e-12).unsqueeze(1)
        neighbours = torch.zeros_like(q).index_add(0, i, w.unsqueeze(1) * q.index_select(0, j)).index_add(
            0, j, w.unsqueeze(1) * q.index_select(0, i))
        averaged = (q + neighbours) / (1.0 + coordination).unsqueeze(1)
        return q, averaged

    @torch.jit.export
    def per_molecule(self, sites: Tensor, box: Tensor) -> Tensor:
        """q_l(a) and the neighbour-averaged q̄_l(a) of every site, ``[n, 2]``."""
        q, averaged = self.vectors(sites, box)
        return torch.stack([safe_norm(q), safe_norm(averaged)], dim=1)

    def forward(self, sites: Tensor, box: Tensor) -> Tensor:
        q, averaged = self.vectors(sites, box)
        ratio = (safe_norm(averaged) / self.threshold) ** self.steepness
        solid_like = (ratio / (1.0 + ratio)).sum()
        global_q = safe_norm(q.mean(dim=0))
        return torch.stack([solid_like, global_q])
