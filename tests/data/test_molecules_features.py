"""Molecules, virtual sites, species, element vocabulary, bonds."""

import mdtraj as md
import numpy as np
import pytest
import torch

from latentcv.data.features import bond_lengths, build_molecular_topology
from latentcv.data.molecules import find_molecules, virtual_site_flags, with_bonds
from latentcv.errors import InputError
from tests.data.builders import UREA_BONDS, WATER_BONDS, build_topology, make_trajectory


def describe(topology):
    return build_molecular_topology(topology, np.arange(topology.n_atoms))


@pytest.mark.parametrize("n_water, n_urea", [(1, 0), (3, 1), (6, 4)])
def test_molecules_species_and_features(n_water, n_urea):
    molecular = describe(build_topology(n_water, n_urea))
    assert molecular.n_atoms == 4 * n_water + 8 * n_urea
    assert molecular.n_molecules == n_water + n_urea
    expected_index = np.concatenate(
        [np.repeat(np.arange(n_water), 4), n_water + np.repeat(np.arange(n_urea), 8)]
    )
    assert molecular.molecule_index.tolist() == expected_index.tolist()
    assert molecular.reference_atom.tolist() == [4 * k for k in range(n_water)] + [
        4 * n_water + 8 * k for k in range(n_urea)
    ]
    assert molecular.species.tolist() == [0] * n_water + [1 if n_water else 0] * n_urea
    expected_virtual = [False, False, False, True] * n_water + [False] * 8 * n_urea
    assert molecular.is_virtual.tolist() == expected_virtual
    assert len(molecular.graph_atoms) == 3 * n_water + 8 * n_urea
    assert len(molecular.bonds) == len(WATER_BONDS) * n_water + len(UREA_BONDS) * n_urea
    assert bool((molecular.bonds[:, 0] < molecular.bonds[:, 1]).all())
    assert molecular.vocabulary == sorted({"O", "H"} | ({"C", "N"} if n_urea else set()))
    virtual = molecular.is_virtual
    assert bool((molecular.element_index[virtual] == -1).all())
    assert bool((molecular.masses[virtual] == 0).all())
    assert bool((molecular.masses[~virtual] > 0).all())
    assert float(molecular.radii[0]) == pytest.approx(md.element.oxygen.radius)
    assert molecular.charges is None
    symbols = [molecular.vocabulary[k] for k in molecular.element_index[~virtual]]
    assert symbols == [e for e, v in zip(molecular.elements, virtual.tolist()) if not v]


def test_vocabulary_of_a_model_is_used_and_enforced():
    topology = build_topology(2, 1)
    atoms = np.arange(topology.n_atoms)
    wide = build_molecular_topology(topology, atoms, vocabulary=["O", "H", "C", "N", "S"])
    assert wide.vocabulary == ["O", "H", "C", "N", "S"]
    assert int(wide.element_index[0]) == 0
    with pytest.raises(InputError, match=r"not in the model's vocabulary"):
        build_molecular_topology(topology, np.arange(topology.n_atoms), vocabulary=["O", "H"])


def test_standard_bonds_are_created_when_the_file_has_none():
    bare = build_topology(3, 0, bonds=False)
    assert bare.n_bonds == 0
    assert with_bonds(bare).n_bonds == 6
    assert describe(bare).n_molecules == 3


def test_unknown_residues_without_bonds_fall_back_to_residues():
    bare = build_topology(2, 3, bonds=False)
    molecular = describe(bare)
    assert molecular.n_molecules == 5
    assert molecular.molecule_index.tolist()[8:] == np.repeat([2, 3, 4], 8).tolist()


def test_virtual_sites_by_name_or_missing_element():
    topology = md.Topology()
    residue = topology.add_residue("SOL", topology.add_chain())
    atoms = [("OW", md.element.oxygen), ("EPW", None), ("MW", md.element.oxygen),
             ("LP1", md.element.carbon)]
    for name, element in atoms:
        topology.add_atom(name, element, residue)
    assert virtual_site_flags(topology).tolist() == [False, True, True, True]


def test_residue_of_only_virtual_sites_is_rejected():
    topology = md.Topology()
    residue = topology.add_residue("XX", topology.add_chain())
    topology.add_atom("EP", md.element.virtual, residue)
    with pytest.raises(InputError, match="only virtual sites"):
        find_molecules(topology, np.array([True]))


def test_bond_lengths_of_split_molecules():
    traj = make_trajectory(n_frames=2)
    molecular = describe(traj.topology)
    box = torch.as_tensor(traj.unitcell_vectors, dtype=torch.float64)
    lengths = bond_lengths(torch.as_tensor(traj.xyz, dtype=torch.float64), box, molecular.bonds)
    expected = md.compute_distances(traj, molecular.bonds.numpy(), periodic=True)
    np.testing.assert_allclose(lengths.numpy(), expected, atol=1e-5)
    assert float(lengths.max()) < 0.14  # whole-molecule bond lengths, not box-sized
