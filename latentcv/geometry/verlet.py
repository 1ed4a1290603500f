"""A Verlet pair list: neighbour pairs reused while the points move less than half a skin
(:class:`VerletPairs`, whose docstring gives the rule and why the result is exact)."""

from __future__ import annotations

import torch

from latentcv.geometry.box import half_min_width
from latentcv.geometry.minimum_image import minimum_image
from latentcv.geometry.neighbours import Pairs, close_pairs, neighbour_pairs, pair_displacements


class VerletPairs(torch.nn.Module):
    """Neighbour pairs of one system across calls, as :func:`neighbour_pairs` gives them.

    An exported CV is called once per MD step on the same system, whose molecules move by about
    0.001 nm per step, and searching the pairs anew each time is a large share of its cost. This
    list keeps the pairs closer than ``cutoff + skin`` from its last search and, while no point has
    moved more than ``skin / 2`` since, only picks those closer than ``cutoff`` out of them. Every
    pair closer than ``cutoff`` now was closer than ``cutoff + skin`` then (the classic Verlet
    argument), so the result is the one a new search gives: the same pairs, in the same canonical
    order, with the same ``dr`` and ``dist``. The CV is the same function of the positions; only
    its cost changes.

    A barostat changes the box, and scales the points with it, every few steps. The argument extends
    to a box B that differs from the search's B0 (rows are box vectors, x = s B for fractional s):
    for any lattice image, a pair's displacement d now and d0 then differ by (u_j − u_i) + d0 M,
    where M = B0⁻¹ B − I is the strain and u_i = x_i − x0_i (I + M) is how far point i moved apart
    from the strain. So the kept pairs are searched again only when

        2 max_i |u_i| + (cutoff + skin) ‖M‖_F > skin

    (the Frobenius norm bounds the spectral one), when the points or the box change shape, dtype or
    device (another system), or when ``cutoff + skin`` does not fit in half the box's smallest
    width. A barostat move strains the box by a fraction of a percent and moves the scaled points by
    nothing else, so the list outlives it instead of being searched anew twice (at the trial box,
    and back at the old box when the move is rejected).

    Parameters
    ----------
    cutoff : float
        nm; pairs closer than this are returned.
    skin : float
        nm; pairs closer than ``cutoff + skin`` are kept between searches. 0 searches at every call.
        Where ``cutoff + skin`` is not below half the smallest box width, every call searches anew.

    Attributes
    ----------
    searches : int
        Number of pair searches so far (for diagnostics and tests).

    Notes
    -----
    ``forward(points[N, 3], box[3, 3]) -> (i[P], j[P], dr[P, 3], dist[P])``, nm, pairs i < j.

    References
    ----------
    L. Verlet, "Computer 'experiments' on classical fluids. I.", Phys. Rev. 159, 98 (1967).
    M. P. Allen and D. J. Tildesley, Computer Simulation of Liquids, 2nd ed. (Oxford, 2017),
    section 5.3 (Verlet lists).
    """

    def __init__(self, cutoff: float, skin: float = 0.0) -> None:
        super().__init__()
        if skin < 0.0:
            raise ValueError(f"the skin must not be negative, got {skin}")
        self.cutoff = cutoff
        self.skin = skin
        self.searches = 0
        # state of the last search; plain attributes, not buffers: not part of the weights
        self.reference = torch.zeros(0, 3)
        self.reference_box = torch.zeros(3, 3)
        self.first = torch.zeros(0, dtype=torch.long)
        self.second = torch.zeros(0, dtype=torch.long)
        # the last box checked by _fits, and whether cutoff + skin fits in it
        self.fitted_box = torch.zeros(0, 3)
        self.fits = False

    def forward(self, points: torch.Tensor, box: torch.Tensor) -> Pairs:
        """Pairs ``i < j`` of ``points`` ``(N, 3)`` closer than ``cutoff`` in ``box`` ``(3, 3)`` (nm):
        ``i, j, dr, dist`` as :func:`neighbour_pairs` returns them, differentiable alike."""
        if self.skin <= 0.0 or not self._fits(box):
            self.searches += 1
            return neighbour_pairs(points, box, self.cutoff)
        i, j = self._select(points, box)
        return pair_displacements(points, box, i, j)

    def _select(self, points: torch.Tensor, box: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The pairs closer than ``cutoff`` among the kept ones, searched anew when stale; without
        gradient. Only for boxes where ``cutoff + skin`` is below half the smallest width."""
        # no_grad rather than detach(), which torch.jit.freeze deletes (in a method of its own:
        # TorchScript fails to compile a with block after an early return)
        with torch.no_grad():
            if self._stale(points, box):
                i, j, _, _ = neighbour_pairs(points, box, self.cutoff + self.skin)
                self.first, self.second = i, j
                self.reference, self.reference_box = points.clone(), box.clone()
                self.searches += 1
            i, j = close_pairs(points, box, self.first, self.second, self.cutoff)
        return i, j

    def _fits(self, box: torch.Tensor) -> bool:
        """Whether ``cutoff + skin`` is below half the smallest width of ``box``; worked out once
        per box (the widths take a determinant and cross products, more than the rest of a call's
        pair selection), as MD keeps its box for many steps."""
        if not _same(box, self.fitted_box):
            self.fits = float(half_min_width(box)) > self.cutoff + self.skin
            self.fitted_box = box.clone()
        return self.fits

    def _stale(self, points: torch.Tensor, box: torch.Tensor) -> bool:
        """Whether the kept pairs may miss one: another system, or points that moved (and a box
        that was strained) too much since the last search (see the class docstring)."""
        if not (_same(points, self.reference, values=False) and _same(box, self.reference_box, values=False)):
            return True
        budget = self.skin
        if torch.equal(box, self.reference_box):
            moved = points - self.reference
        else:
            scaling = torch.linalg.solve(self.reference_box, box)  # B0⁻¹ B = I + M
            strain = scaling - torch.eye(3, dtype=box.dtype, device=box.device)
            budget = budget - (self.cutoff + self.skin) * float(torch.linalg.matrix_norm(strain))
            moved = points - self.reference @ scaling
        if budget <= 0.0:
            return True
        limit = 0.25 * budget * budget
        if bool(((moved * moved).sum(-1) > limit).any()):
            # moved too far, or wrapped into the box by the engine (a jump by box vectors, no
            # move): the minimum image tells them apart. It is never longer than the plain
            # displacement, so most calls stop above without it
            moved = minimum_image(moved, box)
            return bool(((moved * moved).sum(-1) > limit).any())
        return False


def _same(a: torch.Tensor, b: torch.Tensor, values: bool = True) -> bool:
    """Whether two tensors have the same shape, dtype and device (and, with ``values``, the same
    entries)."""
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    return not values or torch.equal(a, b)
