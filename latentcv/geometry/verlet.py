"""A Verlet pair list: neighbour pairs reused while the points move less than half a skin.

An exported CV is called once per MD step on the same system, whose molecules move by about
0.001 nm per step. Searching the pairs anew each time (:func:`neighbour_pairs`) is a large share of
the CV's cost. :class:`VerletPairs` keeps the pairs closer than ``cutoff + skin`` from its last
search and, while no point has moved more than ``skin / 2`` since and the box is unchanged, only
picks those closer than ``cutoff`` out of them. Every pair closer than ``cutoff`` now was closer
than ``cutoff + skin`` then (the classic Verlet argument), so the result is the one a new search
gives: the same pairs, in the same canonical order, with the same ``dr`` and ``dist``. The CV is the
same function of the positions; only its cost changes.
"""

from __future__ import annotations

from typing import Tuple

import torch

from latentcv.geometry.box import half_min_width
from latentcv.geometry.minimum_image import minimum_image
from latentcv.geometry.neighbours import Pairs, close_pairs, neighbour_pairs, pair_displacements


class VerletPairs(torch.nn.Module):
    """Neighbour pairs of one system across calls, as :func:`neighbour_pairs` gives them.

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

    def forward(self, points: torch.Tensor, box: torch.Tensor) -> Pairs:
        """Pairs ``i < j`` of ``points`` ``(N, 3)`` closer than ``cutoff`` in ``box`` ``(3, 3)`` (nm):
        ``i, j, dr, dist`` as :func:`neighbour_pairs` returns them, differentiable alike."""
        if self.skin <= 0.0 or float(half_min_width(box)) <= self.cutoff + self.skin:
            self.searches += 1
            return neighbour_pairs(points, box, self.cutoff)
        i, j = self._select(points, box)
        return pair_displacements(points, box, i, j)

    def _select(self, points: torch.Tensor, box: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
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

    def _stale(self, points: torch.Tensor, box: torch.Tensor) -> bool:
        """Whether the kept pairs may miss one: another system or box, or a point moved by more
        than half the skin since the last search."""
        if (
            points.shape != self.reference.shape
            or points.dtype != self.reference.dtype
            or points.device != self.reference.device
            or not torch.equal(box, self.reference_box)
        ):
            return True
        moved = minimum_image(points - self.reference, box)
        return bool(((moved * moved).sum(-1) > 0.25 * self.skin * self.skin).any())
