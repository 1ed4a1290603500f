"""Neighbour pairs: dense and cell-list paths equal brute force, in canonical order."""

import numpy as np
import pytest
import torch

from latentcv.geometry import (
    DENSE_MAX_POINTS,
    box_widths,
    neighbour_pairs,
    neighbour_pairs_cell_list,
    neighbour_pairs_dense,
)
from tests.geometry.reference import brute_minimum_image, brute_pairs, random_box, random_points


def assert_pairs_match_brute_force(result, points, box, cutoff):
    i, j, dr, dist = result
    expected = brute_pairs(points.numpy(), box.numpy(), cutoff)
    found = list(zip(i.tolist(), j.tolist()))
    assert set(found) == expected
    assert found == sorted(found)  # canonical order: by i, then j; no duplicates
    assert len(found) == len(expected)
    brute = brute_minimum_image((points[j] - points[i]).numpy(), box.numpy())
    np.testing.assert_allclose(dr.numpy(), brute, atol=1e-5)
    np.testing.assert_allclose(dist.numpy(), np.linalg.norm(brute, axis=-1), atol=1e-5)


@pytest.mark.parametrize("n", [1, 2, 7, 40, 150, 400])
@pytest.mark.parametrize("triclinic", [False, True])
def test_dense_and_cell_list_equal_brute_force(n, triclinic):
    rng = np.random.default_rng(n + 1000 * triclinic)
    box = random_box(rng, triclinic)
    cutoff = float(rng.uniform(0.3, box_widths(box).min() / 3.0))
    points = random_points(rng, n, box)
    dense = neighbour_pairs_dense(points, box, cutoff)
    cells = neighbour_pairs_cell_list(points, box, cutoff)
    assert_pairs_match_brute_force(dense, points, box, cutoff)
    assert_pairs_match_brute_force(cells, points, box, cutoff)
    for a, b in zip(dense, cells):
        assert torch.equal(a, b)


@pytest.mark.parametrize("triclinic", [False, True])
def test_three_cells_per_axis_find_each_pair_once(triclinic):
    """With 3 cells along an axis the offsets +1 and -1 reach the two other cells across the
    periodic boundary; half of the neighbourhood must still find every pair exactly once."""
    rng = np.random.default_rng(21 + triclinic)
    box = random_box(rng, triclinic)
    cutoff = float(box_widths(box).min()) / 3.2
    assert min(int(w) for w in torch.floor(box_widths(box) / cutoff)) == 3
    points = random_points(rng, 300, box)
    cells = neighbour_pairs_cell_list(points, box, cutoff)
    assert_pairs_match_brute_force(cells, points, box, cutoff)
    for a, b in zip(neighbour_pairs_dense(points, box, cutoff), cells):
        assert torch.equal(a, b)


def test_cell_list_without_points():
    box = torch.diag(torch.tensor([3.0, 3.0, 3.0]))
    i, j, dr, dist = neighbour_pairs_cell_list(torch.zeros(0, 3), box, 0.5)
    assert i.shape == j.shape == dist.shape == (0,) and dr.shape == (0, 3)


def test_cell_list_with_few_cells_falls_back_to_dense():
    rng = np.random.default_rng(3)
    box = random_box(rng, triclinic=True)
    cutoff = float(box_widths(box).min()) * 0.45  # 2 cells along one axis
    points = random_points(rng, 50, box)
    pairs = neighbour_pairs_cell_list(points, box, cutoff)
    assert_pairs_match_brute_force(pairs, points, box, cutoff)


def test_points_outside_the_box_and_automatic_choice():
    rng = np.random.default_rng(11)
    box = random_box(rng, triclinic=True)
    n = DENSE_MAX_POINTS + 100
    images = torch.as_tensor(rng.integers(-3, 4, (n, 3)), dtype=box.dtype)
    points = random_points(rng, n, box) + images @ box
    cutoff = 0.4
    automatic = neighbour_pairs(points, box, cutoff)
    forced_dense = neighbour_pairs(points, box, cutoff, dense_max_points=n)
    cells = neighbour_pairs_cell_list(points, box, cutoff)
    assert len(automatic[0]) > n
    for a, b, c in zip(automatic, forced_dense, cells):
        assert torch.allclose(a.double(), b.double(), atol=1e-12)
        assert torch.equal(a, c)


def test_cutoff_beyond_half_box_is_rejected():
    box = torch.diag(torch.tensor([2.0, 2.0, 2.0]))
    with pytest.raises(ValueError, match="half the smallest box width"):
        neighbour_pairs(torch.zeros(4, 3), box, 1.2)


def test_gradient_of_distances_matches_finite_differences():
    rng = np.random.default_rng(5)
    box = random_box(rng, triclinic=True)
    points = random_points(rng, 30, box).requires_grad_(True)
    _, _, _, dist = neighbour_pairs(points, box, 0.9)
    weights = torch.as_tensor(rng.normal(size=dist.shape))
    (grad,) = torch.autograd.grad((weights * dist).sum(), points)
    step = 1e-6
    for atom, axis in [(0, 0), (3, 1), (17, 2)]:
        shifted = []
        for sign in (1, -1):
            moved = points.detach().clone()
            moved[atom, axis] += sign * step
            shifted.append(float((weights * neighbour_pairs(moved, box, 0.9)[3]).sum()))
        numeric = (shifted[0] - shifted[1]) / (2 * step)
        assert float(grad[atom, axis]) == pytest.approx(numeric, abs=1e-6)
