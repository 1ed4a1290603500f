"""Every augmentation leaves all interatomic minimum-image distances unchanged."""

import numpy as np
import pytest
import torch

from latentcv.data import augment
from latentcv.data.features import build_molecular_topology
from latentcv.geometry import box_is_reduced, make_whole, rotate_to_reduced
from tests.data.builders import make_trajectory
from tests.geometry.reference import brute_minimum_image

TOLERANCE = 1e-9  # nm, float64


@pytest.fixture(scope="module")
def system():
    traj = make_trajectory(n_frames=1, seed=5, n_water=6, n_urea=3)
    molecular = build_molecular_topology(traj.topology, np.arange(traj.n_atoms))
    positions, box = rotate_to_reduced(
        torch.as_tensor(traj.xyz[0], dtype=torch.float64),
        torch.as_tensor(traj.unitcell_vectors[0], dtype=torch.float64),
    )
    return positions, box, molecular


def distances(positions: torch.Tensor, box: torch.Tensor) -> np.ndarray:
    """All minimum-image interatomic distances (brute force), shape ``(N, N)``."""
    x = positions.numpy()
    return np.linalg.norm(brute_minimum_image(x[None, :] - x[:, None], box.numpy()), axis=-1)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("seed", range(3))
def test_rotation(system, seed):
    positions, box, _ = system
    rotated, new_box = augment.random_rotation(positions, box, generator(seed))
    assert box_is_reduced(new_box)
    before = distances(positions, box)
    np.testing.assert_allclose(distances(rotated, new_box), before, atol=TOLERANCE)


def test_rotate_system_is_identity_for_a_reduced_box_and_basis_change_is_not(system):
    positions, box, _ = system
    rotation = augment.random_rotation_matrix(generator(1))
    same, same_box = augment.rotate_system(positions, box, rotation)
    assert torch.allclose(same, positions, atol=1e-12) and torch.allclose(same_box, box, atol=1e-12)
    turned, turned_box = augment.change_basis(positions, box, augment.CYCLIC_BASIS)
    assert not torch.allclose(turned, positions, atol=1e-3)
    before = distances(positions, box)
    np.testing.assert_allclose(distances(turned, turned_box), before, atol=TOLERANCE)
    with pytest.raises(ValueError, match="determinant"):
        augment.change_basis(positions, box, 2 * torch.eye(3, dtype=torch.long))


def test_translation(system):
    positions, box, _ = system
    moved = augment.random_translation(positions, box, generator(0))
    assert not torch.allclose(moved, positions)
    np.testing.assert_allclose(distances(moved, box), distances(positions, box), atol=TOLERANCE)


def test_rewrapping_atoms_and_molecules(system):
    positions, box, molecular = system
    atoms = augment.random_atom_images(positions, box, max_shift=2, generator=generator(0))
    molecule_index = molecular.molecule_index
    molecules = augment.random_molecule_images(positions, box, molecule_index, 1, generator(1))
    for moved in (atoms, molecules):
        assert not torch.allclose(moved, positions)
        np.testing.assert_allclose(distances(moved, box), distances(positions, box), atol=TOLERANCE)
    # moving whole molecules keeps whole molecules whole
    whole = make_whole(positions, box, molecular.molecule_index, molecular.reference_atom)
    shifted = augment.random_molecule_images(whole, box, molecule_index, generator=generator(2))
    rebuilt = make_whole(shifted, box, molecular.molecule_index, molecular.reference_atom)
    assert torch.allclose(rebuilt, shifted, atol=1e-12)


def test_permutation_of_identical_molecules(system):
    positions, box, molecular = system
    permuted, permutation = augment.permute_molecules(positions, molecular, generator(3))
    assert sorted(permutation.tolist()) == list(range(molecular.n_atoms))
    assert not torch.equal(permutation, torch.arange(molecular.n_atoms))
    assert [molecular.elements[k] for k in permutation] == molecular.elements
    before = distances(positions, box)
    np.testing.assert_allclose(
        distances(permuted, box), before[permutation][:, permutation], atol=TOLERANCE
    )
    # each molecule's atoms move together, to a molecule of the same species
    source_molecule = molecular.molecule_index[permutation]
    for m in range(molecular.n_molecules):
        atoms = molecular.molecule_index == m
        assert len(set(source_molecule[atoms].tolist())) == 1
        assert molecular.species[source_molecule[atoms][0]] == molecular.species[m]


def test_batched_frames(system):
    positions, box, molecular = system
    frames = torch.stack([positions, positions + 0.1])
    boxes = torch.stack([box, box])
    moved = augment.random_translation(frames, boxes, generator(0))
    assert moved.shape == frames.shape
    rotated, new_boxes = augment.random_rotation(frames, boxes, generator(1))
    before = distances(frames[1], box)
    np.testing.assert_allclose(distances(rotated[1], new_boxes[1]), before, atol=TOLERANCE)
    permuted, permutation = augment.permute_molecules(frames, molecular, generator(2))
    assert torch.equal(permuted[1], frames[1][permutation])
