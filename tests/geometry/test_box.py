"""Reduced boxes, widths, and rotation of a periodic system back to reduced form."""

import numpy as np
import pytest
import torch

from latentcv.geometry import (
    box_is_reduced,
    box_widths,
    half_min_width,
    minimum_image,
    reduce_box,
    rotate_to_reduced,
)
from tests.geometry.reference import brute_minimum_image, random_box, random_points


def test_reduce_box_gives_reduced_form_of_same_lattice():
    box = torch.tensor([[2.0, 0, 0], [3.7, 2.5, 0], [-4.1, 3.9, 3.0]], dtype=torch.float64)
    reduced = reduce_box(box)
    assert box_is_reduced(reduced)
    assert not box_is_reduced(box)
    integer = torch.linalg.solve(box.T, reduced.T).T  # reduced = integer @ box
    assert torch.allclose(integer, integer.round(), atol=1e-12)
    assert abs(float(torch.linalg.det(integer.round()))) == pytest.approx(1.0)


def test_box_widths_of_orthorhombic_and_triclinic_boxes():
    assert torch.allclose(
        box_widths(torch.diag(torch.tensor([2.0, 3.0, 4.0]))), torch.tensor([2.0, 3.0, 4.0])
    )
    tilted = torch.tensor([[2.0, 0, 0], [1.0, 2.0, 0], [0.0, 0.0, 5.0]], dtype=torch.float64)
    # the (b, c) faces are 2 * 2 / sqrt(5) apart
    assert float(box_widths(tilted)[0]) == pytest.approx(4.0 / 5**0.5, rel=1e-12)
    assert float(half_min_width(tilted)) == pytest.approx(2.0 / 5**0.5, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_rotate_to_reduced_keeps_all_minimum_image_distances(seed):
    rng = np.random.default_rng(seed)
    box = random_box(rng, triclinic=True)
    points = random_points(rng, 20, box)
    rotation = torch.linalg.qr(torch.as_tensor(rng.normal(size=(3, 3))))[0]
    rotation = rotation * torch.sign(torch.linalg.det(rotation))
    new_points, new_box = rotate_to_reduced(points @ rotation.T, box @ rotation.T)
    assert box_is_reduced(new_box)
    i, j = np.triu_indices(20, 1)
    before = brute_minimum_image((points[j] - points[i]).numpy(), box.numpy())
    before = np.linalg.norm(before, axis=-1)
    after = np.linalg.norm(
        brute_minimum_image((new_points[j] - new_points[i]).numpy(), new_box.numpy()), axis=-1
    )
    np.testing.assert_allclose(after, before, atol=1e-10)


def test_rotate_to_reduced_rejects_left_handed_box():
    box = torch.diag(torch.tensor([2.0, 2.0, -2.0]))
    with pytest.raises(ValueError, match="right-handed"):
        rotate_to_reduced(torch.zeros(1, 3), box)


def test_batched_boxes():
    rng = np.random.default_rng(7)
    boxes = torch.stack([random_box(rng, triclinic=True) for _ in range(4)])
    assert box_widths(boxes).shape == (4, 3)
    dr = torch.as_tensor(rng.uniform(-3, 3, (4, 10, 3)))
    batched = minimum_image(dr, boxes[:, None])
    for k in range(4):
        assert torch.equal(batched[k], minimum_image(dr[k], boxes[k]))
