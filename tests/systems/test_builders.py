"""Built structures: molecular geometry, ice rules, no overlaps, neutrality, supercell choice."""

from __future__ import annotations

import logging

import numpy as np
import openmm
import pytest

from latentcv.engines.openmm.prepare import starting_structure
from latentcv.engines.openmm.simulation import create_system
from latentcv.errors import InputError
from latentcv.systems import tip4p_ice, urea
from latentcv.systems.forcefields import MIN_BOX_EDGE_NM
from latentcv.systems.ice import build_ice
from latentcv.systems.registry import get_system
from latentcv.systems.structure import Structure, read_pdb
from latentcv.systems.supercell import choose_supercell
from latentcv.systems.urea import build_urea_crystal
from latentcv.systems.water import build_water


@pytest.fixture(scope="module")
def ice() -> Structure:
    return build_ice(288, seed=3)


@pytest.fixture(scope="module")
def water() -> Structure:
    return starting_structure(get_system("water"), 288, seed=1)  # built and minimised


@pytest.fixture(scope="module")
def urea_crystal() -> Structure:
    return build_urea_crystal(128)


def _minimum_image(vectors: np.ndarray, box: np.ndarray) -> np.ndarray:
    return vectors - box * np.round(vectors / box)


def _water_sites(structure: Structure) -> np.ndarray:
    """Positions as (molecules, 4 sites O H1 H2 M, 3), nm."""
    assert [a.name for a in next(structure.topology.residues()).atoms()] == list(tip4p_ice.ATOM_NAMES)
    return structure.positions.reshape(-1, 4, 3)


@pytest.mark.parametrize("name", ["ice", "water"])
def test_tip4p_ice_geometry(name: str, request: pytest.FixtureRequest) -> None:
    sites = _water_sites(request.getfixturevalue(name))
    oh1, oh2 = sites[:, 1] - sites[:, 0], sites[:, 2] - sites[:, 0]
    np.testing.assert_allclose(np.linalg.norm(oh1, axis=1), 0.09572, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(oh2, axis=1), 0.09572, atol=2e-5)
    cosine = (oh1 * oh2).sum(1) / np.linalg.norm(oh1, axis=1) / np.linalg.norm(oh2, axis=1)
    np.testing.assert_allclose(np.degrees(np.arccos(cosine)), 104.52, atol=0.02)
    np.testing.assert_allclose(np.linalg.norm(sites[:, 3] - sites[:, 0], axis=1), 0.01577, atol=2e-5)
    bisector = oh1 + oh2
    om = sites[:, 3] - sites[:, 0]
    np.testing.assert_allclose((om * bisector).sum(1) / np.linalg.norm(om, axis=1) / np.linalg.norm(bisector, axis=1),
                               1, atol=1e-6)


def test_ice_obeys_ice_rules(ice: Structure) -> None:
    """Every H points at the O of another molecule (it donates) and every O receives exactly two H."""
    sites = _water_sites(ice)
    oxygens = sites[:, 0]
    hydrogens = sites[:, 1:3].reshape(-1, 3)
    owner = np.repeat(np.arange(len(oxygens)), 2)
    distance = np.linalg.norm(_minimum_image(hydrogens[:, None] - oxygens[None], ice.box), axis=2)
    distance[np.arange(len(hydrogens)), owner] = np.inf
    acceptor = distance.argmin(axis=1)
    assert distance.min(axis=1).max() < 0.2  # each H in a hydrogen bond (H...O about 0.18 nm)
    assert np.all(np.bincount(acceptor, minlength=len(oxygens)) == 2)
    oo = np.linalg.norm(_minimum_image(oxygens[:, None] - oxygens[None], ice.box), axis=2)
    np.fill_diagonal(oo, np.inf)
    assert np.all(np.sort(oo, axis=1)[:, :4] < 0.29)  # four tetrahedral neighbours at 0.276 nm
    assert np.all(np.sort(oo, axis=1)[:, 4] > 0.4)


def test_ice_seed_changes_proton_disorder_only() -> None:
    one, other = build_ice(288, seed=1), build_ice(288, seed=2)
    np.testing.assert_allclose(one.positions[::4], other.positions[::4])
    assert not np.allclose(one.positions, other.positions)


def test_urea_bond_lengths(urea_crystal: Structure) -> None:
    """C=O 0.126, C-N 0.134, N-H 0.101 nm (docs/design.md, "Urea form I"); every bond of the topology
    within 0.002 nm of them."""
    expected = {frozenset("CO"): 0.126, frozenset("CN"): 0.134, frozenset("NH"): 0.101}
    for bond in urea_crystal.topology.bonds():
        length = np.linalg.norm(urea_crystal.positions[bond.atom1.index] - urea_crystal.positions[bond.atom2.index])
        key = frozenset((bond.atom1.element.symbol, bond.atom2.element.symbol))
        assert length == pytest.approx(expected[key], abs=0.002)
    assert urea_crystal.topology.getNumBonds() == 7 * urea_crystal.n_molecules


@pytest.mark.parametrize("name", ["ice", "water", "urea_crystal"])
def test_no_overlapping_molecules(name: str, request: pytest.FixtureRequest) -> None:
    structure = request.getfixturevalue(name)
    atoms = list(structure.topology.atoms())
    heavy = np.array([a.element is not None and a.element.symbol != "H" for a in atoms])
    residue = np.array([a.residue.index for a in atoms])
    positions, owners = structure.positions[heavy], residue[heavy]
    distance = np.linalg.norm(_minimum_image(positions[:, None] - positions[None], structure.box), axis=2)
    distance[owners[:, None] == owners[None]] = np.inf
    assert distance.min() > 0.25  # heavy atoms of different molecules: hydrogen-bond contacts are longer


@pytest.mark.parametrize(("name", "forcefield_file"), [("ice", tip4p_ice.FORCEFIELD_FILE),
                                                       ("water", tip4p_ice.FORCEFIELD_FILE),
                                                       ("urea_crystal", urea.FORCEFIELD_FILE)])
def test_force_field_matches_and_is_neutral(name: str, forcefield_file: str, request: pytest.FixtureRequest) -> None:
    structure = request.getfixturevalue(name)
    system = create_system(structure, forcefield_file)
    nonbonded = next(f for f in system.getForces() if isinstance(f, openmm.NonbondedForce))
    charges = np.array([nonbonded.getParticleParameters(i)[0]._value for i in range(system.getNumParticles())])
    assert abs(charges.sum()) < 1e-9
    assert system.getNumParticles() == structure.topology.getNumAtoms()


def test_force_field_parameters(ice: Structure, urea_crystal: Structure) -> None:
    """Charges and O Lennard-Jones of TIP4P/Ice (Abascal et al. 2005) and the urea charge set
    (docs/design.md, "Urea form I")."""
    system = create_system(ice, tip4p_ice.FORCEFIELD_FILE)
    nonbonded = next(f for f in system.getForces() if isinstance(f, openmm.NonbondedForce))
    q, sigma, epsilon = (x._value for x in nonbonded.getParticleParameters(0))
    assert (q, sigma, epsilon) == (0.0, 0.31668, 0.88211)
    assert [nonbonded.getParticleParameters(i)[0]._value for i in (1, 2, 3)] == [0.5897, 0.5897, -1.1794]
    assert system.isVirtualSite(3) and system.getNumConstraints() == 3 * ice.n_molecules
    system = create_system(urea_crystal, urea.FORCEFIELD_FILE)
    nonbonded = next(f for f in system.getForces() if isinstance(f, openmm.NonbondedForce))
    charges = [nonbonded.getParticleParameters(i)[0]._value for i in range(8)]
    np.testing.assert_allclose(charges, [0.8802, -0.6134, -0.9235, 0.3951, 0.3951, -0.9235, 0.3951, 0.3951], atol=5e-5)
    assert system.getNumConstraints() == 4 * urea_crystal.n_molecules  # N-H bonds


def test_supercell_choice_and_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="latentcv"):
        structure = build_ice(300, seed=1)
    assert structure.n_molecules == 288
    assert "asked for 300 molecules, built 288 (3 x 3 x 2" in caplog.text
    assert choose_supercell(1000, 16, np.array([0.782, 0.735, 0.904]), MIN_BOX_EDGE_NM) == (4, 4, 4)
    assert build_urea_crystal(1).n_molecules == 128  # the smallest box that holds the cutoff
    assert np.all(build_urea_crystal(200).box >= MIN_BOX_EDGE_NM)
    with pytest.raises(InputError):
        choose_supercell(0, 2, urea.CELL_NM, MIN_BOX_EDGE_NM)


def test_small_water_request_gets_smallest_legal_box(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="latentcv"):
        structure = build_water(10)
    assert np.allclose(structure.box, MIN_BOX_EDGE_NM) and structure.n_molecules > 10
    assert "asked for 10 molecules" in caplog.text


def test_pdb_round_trip_builds_the_same_system(urea_crystal: Structure, tmp_path) -> None:
    path = tmp_path / "urea.pdb"
    urea_crystal.write_pdb(path)
    again = read_pdb(path)
    assert again.topology.getNumBonds() == urea_crystal.topology.getNumBonds()
    np.testing.assert_allclose(again.box, urea_crystal.box, atol=1e-3)
    np.testing.assert_allclose(again.positions, urea_crystal.positions, atol=1e-3)
    create_system(again, urea.FORCEFIELD_FILE)
