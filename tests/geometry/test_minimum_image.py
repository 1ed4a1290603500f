"""Minimum image against brute force over neighbouring images, orthorhombic and triclinic."""

import numpy as np
import pytest
import torch

from latentcv.geometry import check_cutoff, half_min_width, minimum_image
from tests.geometry.reference import brute_minimum_image, random_box, random_points


@pytest.mark.parametrize("triclinic", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_minimum_image_equals_brute_force_below_half_width(triclinic, seed):
    rng = np.random.default_rng(seed)
    box = random_box(rng, triclinic)
    points = random_points(rng, 60, box)
    i, j = np.triu_indices(60, 1)
    images = torch.as_tensor(rng.integers(-2, 3, (len(i), 3)), dtype=box.dtype)
    dr = points[j] - points[i] + images @ box
    ours = minimum_image(dr, box).numpy()
    brute = brute_minimum_image(dr.numpy(), box.numpy())
    short = np.linalg.norm(brute, axis=-1) < float(half_min_width(box))
    assert short.sum() > 100
    np.testing.assert_allclose(ours[short], brute[short], atol=1e-10)
    # every result is the input shifted by a lattice vector, never shorter than the true minimum
    lattice = np.linalg.solve(box.numpy().T, (ours - dr.numpy()).T).T
    np.testing.assert_allclose(lattice, np.round(lattice), atol=1e-9)
    assert (np.linalg.norm(ours, axis=-1) >= np.linalg.norm(brute, axis=-1) - 1e-12).all()


@pytest.mark.parametrize("triclinic", [False, True])
def test_components_along_axis_0_give_the_same_numbers(triclinic):
    """dim=0 (displacements stored by component, [3, P]) is the same arithmetic: bit for bit."""
    rng = np.random.default_rng(11)
    box = random_box(rng, triclinic)
    dr = torch.as_tensor(rng.uniform(-3.0, 3.0, (500, 3)), dtype=box.dtype) @ box
    by_row = minimum_image(dr, box)
    by_component = minimum_image(dr.t().contiguous(), box, dim=0)
    assert torch.equal(by_component, by_row.t())
    with pytest.raises(ValueError, match="axis -1 or 0"):
        minimum_image(dr, box, dim=1)


def test_check_cutoff():
    box = torch.diag(torch.tensor([2.0, 3.0, 4.0]))
    check_cutoff(box, 0.99)
    with pytest.raises(ValueError, match="half the smallest box width"):
        check_cutoff(box, 1.0)
