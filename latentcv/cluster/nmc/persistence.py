"""0-D persistence pruning of candidate modes over a k-nearest-neighbour graph (gudhi).

The graph joins every mode to its ``k_neighbours`` nearest modes. Its filtration follows the
superlevel sets of φ: a vertex enters at −φ(mode), an edge at the largest −φ sampled on the straight
segment between its two modes (its endpoints and ``barrier_samples`` interior points), i.e. when the
lower of the two modes and the lowest point of the pass between them are both above the level. With
``barrier_samples = 0`` an edge enters at the larger of its two vertex values, so any mode that
has a higher neighbour dies at birth: the interior samples are what measure the barrier between two
modes that the graph joins directly.

gudhi's ``SimplexTree.persistence`` gives each mode's 0-D persistence pair (born when the mode
enters, dead when its component merges into an older one, by the elder rule). Every immortal
component is kept (one per connected component of the graph), and of the mortal modes

- with ``n_keep``: the most persistent ones, up to ``n_keep`` modes in all;
- with ``tau``: those whose persistence lies strictly above the τ-th percentile of the mortal
  persistences. This rule always prunes the least persistent mortal mode, also when every mode
  is real: with two basins (one mortal mode) it leaves one cluster;
- otherwise (the default): those whose persistence exceeds ``min_relative`` times the range of the
  filtration (highest φ minus the lowest barrier), i.e. basins at least that fraction as deep as
  the deepest one.

A pruned mode merges into the component it died into, followed to the first survivor (a
union-find replay of the merges in gudhi's filtration order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gudhi
import numpy as np
from numpy.typing import NDArray
from sklearn.neighbors import NearestNeighbors


@dataclass(frozen=True)
class Pruned:
    """Result of :func:`prune_modes`.

    Attributes
    ----------
    survivor : ndarray, shape (m,)
        For every mode, the index of the surviving mode it merges into (itself if it survives).
    kept : ndarray, shape (s,)
        Indices of the surviving modes, most persistent first.
    persistence : ndarray, shape (m,)
        0-D persistence of every mode (inf for immortal components).
    threshold : float
        Persistence a mortal mode had to exceed (nan when the number of modes was fixed).
    """

    survivor: NDArray[np.int64]
    kept: NDArray[np.int64]
    persistence: NDArray[np.float64]
    threshold: float


def knn_edges(modes: NDArray[np.float64], k_neighbours: int) -> NDArray[np.int64]:
    """Undirected edges (i < j) joining every mode to its nearest ``k_neighbours`` others.

    Parameters
    ----------
    modes : ndarray, shape (m, d)
    k_neighbours : int

    Returns
    -------
    ndarray, shape (n_edges, 2)
    """
    m = modes.shape[0]
    k = min(k_neighbours, m - 1)
    if k < 1:
        return np.zeros((0, 2), np.int64)
    _, nbr = NearestNeighbors(n_neighbors=k + 1).fit(modes).kneighbors(modes)
    pairs = {(min(i, int(j)), max(i, int(j))) for i in range(m) for j in nbr[i, 1:]}
    return np.array(sorted(pairs), dtype=np.int64)


def edge_filtration(
    modes: NDArray[np.float64],
    values: NDArray[np.float64],
    edges: NDArray[np.int64],
    phi: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    barrier_samples: int,
) -> NDArray[np.float64]:
    """Entry value of every edge: the largest −φ on its segment (endpoints and interior samples).

    Parameters
    ----------
    modes : ndarray, shape (m, d)
    values : ndarray, shape (m,)
        φ at the modes.
    edges : ndarray, shape (n_edges, 2)
    phi : callable
        φ on points, (n, d) → (n,).
    barrier_samples : int
        Interior points per segment, equally spaced.

    Returns
    -------
    ndarray, shape (n_edges,)
    """
    ends = np.maximum(-values[edges[:, 0]], -values[edges[:, 1]])
    if barrier_samples == 0 or len(edges) == 0:
        return ends
    t = np.arange(1, barrier_samples + 1) / (barrier_samples + 1)
    a, b = modes[edges[:, 0]], modes[edges[:, 1]]
    points = a[:, None, :] + t[None, :, None] * (b - a)[:, None, :]  # (n_edges, samples, d)
    inner = -phi(points.reshape(-1, modes.shape[1])).reshape(len(edges), barrier_samples)
    return np.maximum(ends, inner.max(axis=1))


def prune_modes(
    modes: NDArray[np.float64],
    values: NDArray[np.float64],
    phi: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    k_neighbours: int = 5,
    n_keep: int | None = None,
    tau: float | None = None,
    min_relative: float = 0.1,
    barrier_samples: int = 16,
) -> Pruned:
    """Keep the persistent modes and merge every other one into the survivor it dies into.

    Parameters
    ----------
    modes : ndarray, shape (m, d)
        Candidate modes.
    values : ndarray, shape (m,)
        φ at the modes.
    phi : callable
        φ on points, (n, d) → (n,), for the barriers along edges.
    k_neighbours : int
        Neighbours per mode in the graph.
    n_keep : int or None
        When given, keep the ``n_keep`` most persistent modes (all immortal ones at least).
    tau : float or None
        When given (and ``n_keep`` is not), the percentile (0–100) of mortal persistences that a
        kept mortal mode must exceed.
    min_relative : float
        Otherwise, the fraction of the filtration's range that a kept mortal mode's persistence
        must exceed.
    barrier_samples : int
        Interior samples per edge for the barrier (see the module docstring).

    Returns
    -------
    Pruned
    """
    m = modes.shape[0]
    edges = knn_edges(modes, k_neighbours)
    tree = gudhi.SimplexTree()
    for i in range(m):
        tree.insert([i], filtration=float(-values[i]))
    for (i, j), f in zip(edges, edge_filtration(modes, values, edges, phi, barrier_samples)):
        tree.insert([int(i), int(j)], filtration=float(f))
    tree.persistence(min_persistence=-1.0)  # -1: keep zero-persistence pairs too
    death_edge = {}
    persistence = np.full(m, np.inf)
    for birth, death in tree.persistence_pairs():
        if len(birth) == 1 and death:
            death_edge[tuple(sorted(death))] = birth[0]
            persistence[birth[0]] = tree.filtration(death) - tree.filtration(birth)
    dies_into = _replay_merges(tree, death_edge, m)
    order = np.lexsort((np.arange(m), -persistence))  # most persistent first, ties by index
    mortal = persistence[np.isfinite(persistence)]
    if n_keep is not None:
        threshold = np.nan
        keep_mask = np.zeros(m, bool)
        keep_mask[order[:n_keep]] = True
    elif tau is not None:
        threshold = float(np.percentile(mortal, tau)) if len(mortal) else np.inf
        keep_mask = persistence > threshold
    else:
        levels = [f for _, f in tree.get_filtration()]
        threshold = min_relative * (max(levels) - min(levels))
        keep_mask = persistence > threshold
    keep_mask |= ~np.isfinite(persistence)
    survivor = np.arange(m)
    for i in range(m):
        j = i
        while not keep_mask[j]:
            j = dies_into[j]
        survivor[i] = j
    return Pruned(survivor.astype(np.int64), order[keep_mask[order]].astype(np.int64), persistence, threshold)


def _replay_merges(
    tree: gudhi.SimplexTree, death_edge: dict[tuple[int, ...], int], m: int
) -> NDArray[np.int64]:
    """For every mortal vertex, the birth vertex of the component it merged into (−1 if immortal).

    Replays gudhi's filtration order with a union-find whose roots are the components' birth
    vertices; at each death edge gudhi names the dying birth vertex, the other root survives.
    """
    parent = np.arange(m)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    dies_into = np.full(m, -1, dtype=np.int64)
    for simplex, _ in tree.get_filtration():
        if len(simplex) == 2 and tuple(sorted(simplex)) in death_edge:
            dying = death_edge[tuple(sorted(simplex))]
            a, b = find(simplex[0]), find(simplex[1])
            other = b if a == dying else a
            parent[dying] = other
            dies_into[dying] = other
    return dies_into
