"""Pairs of points within a cutoff under the minimum image: dense O(N^2) or cell list O(N).

Both paths return the same pairs in the same canonical order (sorted by ``i``, then ``j``, with
``i < j``), positions only, with ``dr`` and ``dist`` differentiable with respect to the points.
Pair selection (a hard ``dist < cutoff``) is done without gradient; smoothness across the cutoff
comes from the switching function the caller applies (:mod:`latentcv.geometry.switching`).
"""

import torch

from latentcv.geometry.box import box_widths
from latentcv.geometry.distance import safe_norm
from latentcv.geometry.minimum_image import check_cutoff, minimum_image

DENSE_MAX_POINTS = 512
"""Up to this many points :func:`neighbour_pairs` uses the dense path, above it the cell list."""

Pairs = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def close_pairs(
    points: torch.Tensor, box: torch.Tensor, i: torch.Tensor, j: torch.Tensor, cutoff: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """The candidate pairs ``(i, j)`` closer than ``cutoff``: pair selection only, computed
    without gradient.

    ``points`` ``(N, 3)`` and ``box`` ``(3, 3)`` in nm; ``i``, ``j`` ``(C,)`` int64.
    ``index_select`` rather than fancy indexing throughout, and the candidates' displacements
    stored by component (``(3, C)``): on the CPU both are several times faster.
    """
    # no_grad rather than detach(): torch.jit.freeze, which openmm-torch applies, deletes detach()
    with torch.no_grad():
        columns = points.t().contiguous()
        trial = minimum_image(columns.index_select(1, j) - columns.index_select(1, i), box, dim=0)
        keep = torch.nonzero((trial * trial).sum(0) < cutoff * cutoff).squeeze(1)
    return i.index_select(0, keep), j.index_select(0, keep)


def pair_displacements(points: torch.Tensor, box: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> Pairs:
    """``i, j`` with the differentiable minimum-image ``dr = points[j] - points[i]`` and ``|dr|``
    (nm). The backward of ``index_select`` is a fast ``index_add``; ``dr`` is computed by component
    (``(3, P)``, see :func:`close_pairs`) and returned as the transposed view ``(P, 3)`` of it, so
    ``dr.t()`` is contiguous."""
    dr = (points.index_select(0, j) - points.index_select(0, i)).t().contiguous()
    dr = minimum_image(dr, box, dim=0)
    return i, j, dr.t(), safe_norm(dr, dim=0)


def cells_per_axis(box: torch.Tensor, cutoff: float) -> list[int]:
    """Cells along each box vector: ``floor(width / cutoff)``, so that every cell is at least
    ``cutoff`` wide across its faces. ``box`` ``(3, 3)`` and ``cutoff`` in nm."""
    return torch.floor(box_widths(box) / cutoff).long().tolist()


def enough_cells(counts_per_axis: list[int]) -> bool:
    """Whether a cell list with these cell counts works: at least 3 cells along every axis (with
    fewer, the 27 cells around a cell would include some cell twice)."""
    return min(counts_per_axis) >= 3


def uses_cell_list(
    n_points: int, box: torch.Tensor, cutoff: float, dense_max_points: int = DENSE_MAX_POINTS
) -> bool:
    """Whether :func:`neighbour_pairs` takes the cell list (else the dense path) for ``n_points``
    points in ``box`` ``(3, 3)`` (nm) with ``cutoff`` (nm)."""
    return n_points > dense_max_points and enough_cells(cells_per_axis(box, cutoff))


def neighbour_pairs_dense(points: torch.Tensor, box: torch.Tensor, cutoff: float) -> Pairs:
    """All pairs ``i < j`` closer than ``cutoff`` by testing every pair, O(N^2).

    Parameters
    ----------
    points : torch.Tensor
        Shape ``(N, 3)``, nm.
    box : torch.Tensor
        Shape ``(3, 3)``, rows a, b, c in nm, reduced form.
    cutoff : float
        nm, below half the smallest box width.

    Returns
    -------
    i, j : torch.Tensor
        Shape ``(P,)``, int64, ``i < j``, sorted by ``i`` then ``j``.
    dr : torch.Tensor
        Shape ``(P, 3)``, minimum-image ``points[j] - points[i]`` in nm.
    dist : torch.Tensor
        Shape ``(P,)``, ``|dr|`` in nm.
    """
    check_cutoff(box, cutoff)
    n = points.shape[0]
    candidates = torch.triu_indices(n, n, 1, device=points.device)
    i, j = close_pairs(points, box, candidates[0], candidates[1], cutoff)
    return pair_displacements(points, box, i, j)


def cell_coordinates(points: torch.Tensor, box: torch.Tensor, n_cells_axis: torch.Tensor) -> torch.Tensor:
    """The cell of each point, ``(N, 3)`` int64 with ``n_cells_axis`` ``(3,)`` cells along the box
    vectors, from its fractional coordinates (``points`` ``(N, 3)``, ``box`` ``(3, 3)``, nm);
    binning only, computed without gradient."""
    # no_grad rather than detach(), which torch.jit.freeze deletes (here, not in the caller: TorchScript
    # fails to compile a with block after an early return)
    with torch.no_grad():
        fractional = points @ torch.linalg.inv(box)
        fractional = fractional - torch.floor(fractional)
        cell3 = torch.minimum(torch.floor(fractional * n_cells_axis).long(), n_cells_axis - 1)
    return cell3


def neighbour_pairs_cell_list(points: torch.Tensor, box: torch.Tensor, cutoff: float) -> Pairs:
    """The pairs of :func:`neighbour_pairs_dense` from a cell list, O(N).

    Points are binned in fractional coordinates, with ``floor(width / cutoff)`` cells along each
    box vector so that every cell is at least ``cutoff`` wide across its faces, also in triclinic
    boxes; then two points closer than ``cutoff`` sit in the same or adjacent cells. Each point is
    tested against the points of its own cell with a higher index and against every point of the
    13 cells of one half of its neighbourhood (offsets after (0, 0, 0) in lexicographic order): the
    other half would find the same pairs from the other end. The candidates are gathered from the
    points sorted by cell, without padding to the fullest cell. With fewer than 3 cells along any
    axis an offset and its opposite could name one cell, and the dense path is used instead
    (:func:`enough_cells`).

    Parameters and returns as for :func:`neighbour_pairs_dense`.
    """
    check_cutoff(box, cutoff)
    counts_per_axis = cells_per_axis(box, cutoff)
    if not enough_cells(counts_per_axis):
        return neighbour_pairs_dense(points, box, cutoff)
    device = points.device
    n = points.shape[0]
    n_cells_axis = torch.tensor(counts_per_axis, device=device)
    cell3 = cell_coordinates(points, box, n_cells_axis)
    ny = counts_per_axis[1]
    nz = counts_per_axis[2]
    cell = (cell3[:, 0] * ny + cell3[:, 1]) * nz + cell3[:, 2]
    by_cell = torch.argsort(cell, stable=True)  # the points of cell c are by_cell[start[c] : start[c] + count[c]]
    count = torch.bincount(cell, minlength=counts_per_axis[0] * ny * nz)
    start = torch.cumsum(count, 0) - count
    steps = torch.tensor([-1, 0, 1], device=device)
    offsets = torch.cartesian_prod(steps, steps, steps)[13:]  # (0, 0, 0), then the 13 offsets after it
    around = torch.remainder(cell3.unsqueeze(1) + offsets.unsqueeze(0), n_cells_axis)
    around_cell = ((around[..., 0] * ny + around[..., 1]) * nz + around[..., 2]).reshape(-1)  # [n x 14]
    # one run of candidates per (point, cell): candidate k of run r is by_cell[start[cell r] + k]
    length = count.index_select(0, around_cell)
    end = torch.cumsum(length, 0)
    total = int(length.sum())
    run_start = torch.repeat_interleave(start.index_select(0, around_cell) - (end - length), length, output_size=total)
    j = by_cell.index_select(0, torch.arange(total, device=device) + run_start)
    i = torch.repeat_interleave(
        torch.arange(n, device=device), length.view(n, offsets.shape[0]).sum(1), output_size=total
    )
    own_cell = torch.zeros(n, offsets.shape[0], dtype=torch.bool, device=device)
    own_cell[:, 0] = True
    own_cell = torch.repeat_interleave(own_cell.reshape(-1), length, output_size=total)
    keep = torch.nonzero((j > i) | ~own_cell).squeeze(1)
    i, j = i.index_select(0, keep), j.index_select(0, keep)
    i, j = close_pairs(points, box, torch.minimum(i, j), torch.maximum(i, j), cutoff)
    canonical = torch.argsort(i * n + j)  # sorting the close pairs only: a few tenths of the candidates
    return pair_displacements(points, box, i.index_select(0, canonical), j.index_select(0, canonical))


def neighbour_pairs(
    points: torch.Tensor,
    box: torch.Tensor,
    cutoff: float,
    dense_max_points: int = DENSE_MAX_POINTS,
) -> Pairs:
    """Pairs ``i < j`` closer than ``cutoff`` under the minimum image, dense or cell list by size.

    Uses :func:`neighbour_pairs_dense` up to ``dense_max_points`` points (default
    :data:`DENSE_MAX_POINTS`) and :func:`neighbour_pairs_cell_list` above; both give identical
    pairs in canonical order. ``points`` ``(N, 3)`` and ``box`` ``(3, 3)`` in nm, ``cutoff`` in nm;
    returns ``i, j, dr, dist`` as :func:`neighbour_pairs_dense` does.
    """
    if points.shape[0] <= dense_max_points:
        return neighbour_pairs_dense(points, box, cutoff)
    return neighbour_pairs_cell_list(points, box, cutoff)
