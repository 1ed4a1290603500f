"""Brute-force references and random boxes for the geometry tests."""

import itertools

import numpy as np
import torch

from latentcv.geometry import reduce_box

IMAGE_RANGE = 2
"""Images -2..2 along each box vector around the fractionally wrapped displacement."""


def random_box(rng: np.random.Generator, triclinic: bool, dtype=torch.float64) -> torch.Tensor:
    """A random box (nm) in reduced form, edges 2-4 nm; triclinic tilts up to the reduced bounds."""
    ax, by, cz = rng.uniform(2.0, 4.0, 3)
    bx, cx, cy = (rng.uniform(-0.5, 0.5, 3) * [ax, ax, by]) if triclinic else (0.0, 0.0, 0.0)
    box = torch.tensor([[ax, 0, 0], [bx, by, 0], [cx, cy, cz]], dtype=dtype)
    return reduce_box(box)


def random_points(rng: np.random.Generator, n: int, box: torch.Tensor) -> torch.Tensor:
    """``n`` points (nm) uniform in the box, shape ``(n, 3)``."""
    return torch.as_tensor(rng.uniform(0, 1, (n, 3)), dtype=box.dtype) @ box


def brute_minimum_image(dr: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The shortest of ``dr + n @ box`` over all integer n, shape of ``dr``.

    The fractional coordinates are first wrapped to [-1/2, 1/2], then images -2..2 are searched.
    """
    fractional = dr @ np.linalg.inv(box)
    dr = (fractional - np.round(fractional)) @ box
    shifts = np.array(list(itertools.product(range(-IMAGE_RANGE, IMAGE_RANGE + 1), repeat=3)))
    candidates = dr[..., None, :] + shifts @ box
    best = np.argmin((candidates**2).sum(-1), axis=-1)
    return np.take_along_axis(candidates, best[..., None, None], axis=-2)[..., 0, :]


def brute_pairs(points: np.ndarray, box: np.ndarray, cutoff: float) -> set[tuple[int, int]]:
    """All pairs i < j whose brute-force minimum-image distance is below ``cutoff``."""
    i, j = np.triu_indices(len(points), 1)
    dist = np.linalg.norm(brute_minimum_image(points[j] - points[i], box), axis=-1)
    keep = dist < cutoff
    return set(zip(i[keep].tolist(), j[keep].tolist()))
