"""Datasets of labelled trajectories: frames, boxes, whole molecules, caching, bad input."""

import mdtraj as md
import numpy as np
import pytest
import torch

from latentcv.data.dataset import load_dataset
from latentcv.errors import InputError
from latentcv.geometry import box_is_reduced, half_min_width, minimum_image, safe_norm
from tests.data.builders import make_trajectory, write_files


@pytest.fixture()
def two_states(tmp_path):
    crystal = make_trajectory(n_frames=4, seed=1)
    melt = make_trajectory(n_frames=6, seed=2)
    paths = write_files(crystal, tmp_path, ["dcd"])
    melt_path = tmp_path / "melt.xtc"
    melt.save_xtc(str(melt_path))
    return crystal, melt, paths, melt_path


def test_labelled_frames_with_whole_molecules(two_states, tmp_path):
    crystal, melt, paths, melt_path = two_states
    data = load_dataset(
        [f"{paths['dcd']}:crystal", f"{melt_path}:melt", str(paths["dcd"])],
        paths["pdb"],
        cache_dir=tmp_path / "cache",
    )
    assert len(data) == 14
    assert data.positions.shape == (14, crystal.n_atoms, 3)
    assert data.positions.dtype == torch.float32
    assert data.boxes.shape == (14, 3, 3) and box_is_reduced(data.boxes, 1e-5)
    assert data.label_names == ["crystal", "melt"]
    assert data.labels.tolist() == [0] * 4 + [1] * 6 + [-1] * 4
    assert data.source_index.tolist() == [0] * 4 + [1] * 6 + [2] * 4
    assert data.frame_index.tolist() == list(range(4)) + list(range(6)) + list(range(4))
    molecular = data.molecular
    reference = data.positions[:, molecular.reference_atom[molecular.molecule_index]]
    spread = safe_norm(data.positions - reference)
    assert float(spread.max()) < 0.25  # whole molecules, not split across the box
    # minimum-image distances (below half the box) agree with MDTraj's on the raw input
    pairs = np.stack(np.triu_indices(melt.n_atoms, 1), axis=1)
    expected = md.compute_distances(melt, pairs)
    dr = data.positions[4:10, pairs[:, 1]] - data.positions[4:10, pairs[:, 0]]
    ours = safe_norm(minimum_image(dr, data.boxes[4:10, None])).numpy()
    short = expected < float(half_min_width(data.boxes[4]))
    assert short.sum() > 1000
    np.testing.assert_allclose(ours[short], expected[short], atol=2e-3)


def test_stride_selection_and_subset(two_states, tmp_path):
    crystal, _, paths, _ = two_states
    data = load_dataset(
        [str(paths["dcd"])], paths["pdb"], selection="resname URE", start=1, stride=2,
        cache_dir=tmp_path / "cache",
    )
    assert data.frame_index.tolist() == [1, 3]
    assert data.molecular.n_atoms == 16 and data.molecular.n_molecules == 2
    assert len(data.select(torch.tensor([1]))) == 1


def test_cache_is_reused_and_invalidated(two_states, tmp_path):
    _, _, paths, melt_path = two_states
    cache = tmp_path / "cache"
    first = load_dataset([f"{melt_path}:melt"], paths["pdb"], cache_dir=cache)
    files = list(cache.glob("*.pt"))
    assert len(files) == 1 and not list(cache.glob("*.tmp"))
    marker = torch.load(files[0], weights_only=True)
    marker["positions"] = marker["positions"] + 1.0
    torch.save(marker, files[0])
    cached = load_dataset([f"{melt_path}:melt"], paths["pdb"], cache_dir=cache)
    assert torch.allclose(cached.positions, first.positions + 1.0)  # read from the cache
    relabelled = load_dataset([f"{melt_path}:liquid"], paths["pdb"], cache_dir=cache)
    assert torch.allclose(relabelled.positions, first.positions)  # other options: other key
    assert len(list(cache.glob("*.pt"))) == 2
    uncached = load_dataset([f"{melt_path}:melt"], paths["pdb"], use_cache=False)
    assert torch.allclose(uncached.positions, first.positions)


def test_missing_files(two_states, tmp_path):
    _, _, paths, _ = two_states
    with pytest.raises(InputError, match="trajectory file not found"):
        load_dataset([str(tmp_path / "gone.dcd")], paths["pdb"], use_cache=False)
    with pytest.raises(InputError, match="topology file not found"):
        load_dataset([str(paths["dcd"])], tmp_path / "gone.pdb", use_cache=False)


def test_selection_matching_nothing_or_not_parsing(two_states):
    _, _, paths, _ = two_states
    with pytest.raises(InputError, match="matches no atoms"):
        load_dataset([str(paths["dcd"])], paths["pdb"], selection="resname XYZ", use_cache=False)
    with pytest.raises(InputError, match="cannot parse atom selection"):
        load_dataset([str(paths["dcd"])], paths["pdb"], selection="resname (", use_cache=False)


def test_labels_that_do_not_parse(two_states):
    _, _, paths, _ = two_states
    with pytest.raises(InputError, match="cannot parse trajectory argument"):
        load_dataset([f"{paths['dcd']}:bad label"], paths["pdb"], use_cache=False)


def test_no_unit_cell(tmp_path):
    traj = make_trajectory(n_frames=2)
    traj.unitcell_vectors = None
    path = tmp_path / "nobox.pdb"
    traj.save_pdb(str(path))
    with pytest.raises(InputError, match="has no unit cell"):
        load_dataset([str(path)], path, use_cache=False)
    free = load_dataset([str(path)], path, periodic=False, use_cache=False)
    assert free.boxes is None and len(free) == 2


def test_molecule_longer_than_half_the_box(tmp_path):
    small = make_trajectory(2, n_water=0, n_urea=1, lengths=(0.36,) * 3, angles=(90.0,) * 3)
    paths = write_files(small, tmp_path)
    assert float(half_min_width(torch.as_tensor(small.unitcell_vectors[0]))) < 0.2
    with pytest.raises(InputError, match="spans half the smallest box width"):
        load_dataset([str(paths["dcd"])], paths["pdb"], use_cache=False)
