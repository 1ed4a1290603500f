"""Coexistence systems: which molecules stay crystalline (slab, nucleus), the slab supercell, and a
real slab built by melting around the kept molecules (labels = restrained set; melt = bulk liquid)."""

from __future__ import annotations

import numpy as np
import pytest

from latentcv.data.molecule_labels import labels_path, read_molecule_labels, write_molecule_labels
from latentcv.errors import InputError
from latentcv.systems.coexistence import MIN_LIQUID_NM, Coexistence, molecule_centres, slab_molecules, sphere_molecules
from latentcv.systems.forcefields import MIN_BOX_EDGE_NM
from latentcv.systems.ice import build_ice, ice1h_cell_nm
from latentcv.systems.supercell import choose_slab_supercell


@pytest.fixture(scope="module")
def ice():
    return build_ice(576, seed=2, reps=choose_slab_supercell(576, 16, ice1h_cell_nm(), MIN_BOX_EDGE_NM, 2))


def test_the_slab_supercell_is_longest_along_its_normal() -> None:
    cell = ice1h_cell_nm()
    for axis in range(3):
        for n in (288, 576, 1000):
            reps = choose_slab_supercell(n, 16, cell, MIN_BOX_EDGE_NM, axis)
            edges = cell * reps
            assert edges[axis] == edges.max() and edges.min() >= MIN_BOX_EDGE_NM
            across = [k for k in range(3) if k != axis]
            # the lateral edges are the shortest the cutoff allows: one cell fewer would be too short
            assert all(cell[k] * (reps[k] - 1) < MIN_BOX_EDGE_NM for k in across)


def test_a_slab_is_one_block_of_the_asked_size_centred_in_the_box(ice) -> None:
    s = molecule_centres(ice)[:, 2] / ice.box[2]
    for count in (0, 144, 288, 576):
        keep = slab_molecules(ice, count, axis=2)
        assert keep.sum() == count
        if 0 < count < 576:
            # every kept molecule is nearer to the middle plane than every melted one
            offset = np.abs(s - 0.5)
            assert offset[keep].max() <= offset[~keep].min()
    with pytest.raises(InputError, match="liquid layer"):
        slab_molecules(ice, int(576 * (1 - 0.9 * MIN_LIQUID_NM / ice.box[2])), axis=2)


def test_a_nucleus_is_the_molecules_nearest_the_centre(ice) -> None:
    keep = sphere_molecules(ice, 50)
    d = molecule_centres(ice) - ice.box / 2
    d -= ice.box * np.round(d / ice.box)
    r = np.linalg.norm(d, axis=1)
    assert keep.sum() == 50 and r[keep].max() <= r[~keep].min()
    with pytest.raises(InputError, match="does not fit"):
        sphere_molecules(ice, 577)


def test_coexistence_counts() -> None:
    assert Coexistence(fraction=0.25).count(576) == 144 and Coexistence(molecules=50).count(576) == 50
    for bad in (Coexistence(), Coexistence(fraction=0.5, molecules=3), Coexistence(fraction=1.5)):
        with pytest.raises(InputError):
            bad.count(576)


def test_labels_file_round_trip_and_refusals(tmp_path) -> None:
    path = labels_path(tmp_path / "trajectory.dcd")
    assert path.name == "trajectory.labels.csv"
    labels = ["crystal", "melt", "melt", "crystal"]
    write_molecule_labels(path, labels, "a test\nof two lines")
    assert read_molecule_labels(path, 4) == labels
    with pytest.raises(InputError, match="the topology has 5"):
        read_molecule_labels(path, 5)
    path.write_text("molecule,label\n0,crystal\n0,melt\n")
    with pytest.raises(InputError, match="one row per molecule"):
        read_molecule_labels(path, 2)
    path.write_text("index,phase\n0,crystal\n")
    with pytest.raises(InputError, match="cannot read per-molecule labels"):
        read_molecule_labels(path, 1)


def test_a_slab_run_melts_exactly_the_unlabelled_molecules(slab_run) -> None:
    """A 288-molecule slab (normal x, a quarter crystal) through ``latentcv simulate``
    (tests/conftest.py, ``slab_run``): the labels file names the restrained molecules, which keep
    their lattice sites and their Bragg order. The melted ones farther than 0.45 nm (a shell and a
    half) from every crystal molecule have the in-plane Bragg order of a liquid, the noise level
    √(π / 4n) of n random positions (below three times it here); nearer to the crystal faces a
    liquid is layered and templated by them. The Bragg vectors are the perfect lattice's strongest
    ones in the plane of the slab (along the normal, the confinement of each region alone gives
    Fourier amplitude)."""
    import itertools

    import mdtraj

    from phase_order import centres, fractional

    trajectory_file = slab_run / "trajectory.dcd"
    crystalline = np.array(read_molecule_labels(labels_path(trajectory_file), 288)) == "crystal"
    crystal = build_ice(288, seed=3, reps=choose_slab_supercell(288, 16, ice1h_cell_nm(), MIN_BOX_EDGE_NM, 0))
    assert crystalline.sum() == 72 and np.array_equal(crystalline, slab_molecules(crystal, 72, axis=0))

    trajectory = mdtraj.load(str(trajectory_file), top=str(slab_run / "topology.pdb"))
    oxygens, box = centres(trajectory, "O"), trajectory.unitcell_lengths[:, None]
    lattice = crystal.positions[[a.index for a in crystal.topology.atoms() if a.name == "O"]]
    shift = oxygens[:, crystalline] - lattice[crystalline]
    shift -= box * np.round(shift / box)
    shift -= shift.mean(axis=1, keepdims=True)  # the slab may drift as a whole once released
    # vibration about the lattice sites, not a hop to another site or diffusion: half the molecules
    # (most of a thin slab's are at its faces, which relax) within a quarter of the O-O distance
    assert np.median(np.sqrt((shift**2).sum(-1))) < 0.276 / 4

    candidates = np.array([m for m in itertools.product(range(-6, 7), repeat=3) if any(m) and m[0] == 0])
    amplitude = np.abs(np.exp(2j * np.pi * (lattice / crystal.box) @ candidates.T).mean(axis=0))
    vectors = candidates[amplitude > 0.5]
    gap = oxygens[:, :, None] - oxygens[:, None, crystalline]
    gap -= box[:, None] * np.round(gap / box[:, None])
    core = ~crystalline & (np.linalg.norm(gap, axis=-1).min(axis=(0, 2)) > 0.45)
    s = fractional(oxygens, trajectory.unitcell_lengths)

    def order(selection: np.ndarray) -> float:
        return float(np.abs(np.exp(2j * np.pi * s[:, selection] @ vectors.T).mean(axis=1)).mean())

    assert len(vectors) >= 2 and core.sum() >= 50
    assert order(crystalline) > 0.5
    assert order(core) < 3 * np.sqrt(np.pi / (4 * core.sum()))
