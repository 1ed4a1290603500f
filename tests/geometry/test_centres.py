"""Whole molecules and centres of mass for molecules split across the boundary."""

import numpy as np
import pytest
import torch

from latentcv.geometry import centres_of_mass, make_whole, minimum_image
from tests.geometry.reference import random_box, random_points


def split_molecules(rng, box, n_molecules=12, size=5):
    """Molecules of ``size`` atoms (0.3 nm across) at random centres, atoms wrapped one by one."""
    centres = random_points(rng, n_molecules, box)
    offsets = torch.as_tensor(rng.uniform(-0.15, 0.15, (n_molecules, size, 3)), dtype=box.dtype)
    whole = (centres[:, None, :] + offsets).reshape(-1, 3)
    fractional = whole @ torch.linalg.inv(box)
    wrapped = (fractional - torch.floor(fractional)) @ box
    molecule_index = torch.arange(n_molecules).repeat_interleave(size)
    reference_atom = torch.arange(n_molecules) * size
    return whole, wrapped, molecule_index, reference_atom


@pytest.mark.parametrize("triclinic", [False, True])
def test_make_whole_and_centres_across_boundary(triclinic):
    rng = np.random.default_rng(21 + triclinic)
    box = random_box(rng, triclinic)
    whole, wrapped, molecule_index, reference_atom = split_molecules(rng, box)
    assert not torch.allclose(whole, wrapped)  # some molecules really are split
    rebuilt = make_whole(wrapped, box, molecule_index, reference_atom)
    internal = (rebuilt - rebuilt[reference_atom[molecule_index]]).numpy()
    expected = (whole - whole[reference_atom[molecule_index]]).numpy()
    np.testing.assert_allclose(internal, expected, atol=1e-10)

    masses = torch.as_tensor(rng.uniform(1.0, 16.0, len(whole)), dtype=box.dtype)
    masses[::5] = 0.0  # massless virtual sites
    masses[::5] = 0.0
    masses[reference_atom] = 12.0
    com = centres_of_mass(wrapped, box, molecule_index, reference_atom, masses)
    true = torch.zeros(12, 3, dtype=box.dtype).index_add(0, molecule_index, whole * masses[:, None])
    true = true / torch.zeros(12, dtype=box.dtype).index_add(0, molecule_index, masses)[:, None]
    assert torch.allclose(minimum_image(com - true, box), torch.zeros_like(com), atol=1e-10)
    # centres sit next to their reference atoms, not at a wrapped average
    assert float((com - wrapped[reference_atom]).norm(dim=-1).max()) < 0.3


def test_batched_frames_with_own_boxes():
    rng = np.random.default_rng(4)
    boxes = torch.stack([random_box(rng, True) for _ in range(3)])
    frames = [split_molecules(np.random.default_rng(k), boxes[k]) for k in range(3)]
    wrapped = torch.stack([f[1] for f in frames])
    _, _, molecule_index, reference_atom = frames[0]
    masses = torch.ones(wrapped.shape[1], dtype=torch.float64)
    batched = centres_of_mass(wrapped, boxes, molecule_index, reference_atom, masses)
    for k in range(3):
        single = centres_of_mass(wrapped[k], boxes[k], molecule_index, reference_atom, masses)
        assert torch.allclose(batched[k], single, atol=1e-12)
