"""Reading trajectories of every common format, frame ranges, chunks, and bad input."""

import numpy as np
import pytest

from latentcv.data.reading import iter_frames
from latentcv.errors import InputError
from tests.data.builders import make_trajectory, write_files

FORMATS = ["dcd", "xtc", "trr", "nc", "h5", "gro", "pdb"]
pytestmark = pytest.mark.filterwarnings("ignore:.*netCDF4:UserWarning")

PRECISION = {"xtc": 2e-3, "gro": 2e-3, "pdb": 2e-3}


def read_all(path, topology, **options):
    chunks = list(iter_frames(path, topology, **options))
    positions = np.concatenate([c.positions for c in chunks])
    return chunks, positions, np.concatenate([c.frames for c in chunks])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    traj = make_trajectory(n_frames=7)
    folder = tmp_path_factory.mktemp("formats")
    paths = write_files(traj, folder, [f for f in FORMATS if f != "pdb"])
    multi = folder / "multi.pdb"
    traj.save_pdb(str(multi))
    paths["pdb"] = multi
    return traj, paths


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips(written, fmt):
    traj, paths = written
    chunks, xyz, frames = read_all(paths[fmt], traj.topology, chunk=3)
    assert frames.tolist() == list(range(traj.n_frames))
    np.testing.assert_allclose(xyz, traj.xyz, atol=PRECISION.get(fmt, 1e-5))
    boxes = np.concatenate([c.boxes for c in chunks])
    np.testing.assert_allclose(boxes, traj.unitcell_vectors, atol=PRECISION.get(fmt, 1e-4))


@pytest.mark.parametrize("fmt", ["dcd", "xtc", "nc"])
@pytest.mark.parametrize(
    "start, stop, stride, chunk", [(0, None, 2, 3), (1, None, 2, 2), (2, 6, 3, 1), (1, 5, 1, 10)]
)
def test_frame_ranges(written, fmt, start, stop, stride, chunk):
    traj, paths = written
    options = {"start": start, "stop": stop, "stride": stride, "chunk": chunk}
    _, xyz, frames = read_all(paths[fmt], traj.topology, **options)
    expected = list(range(traj.n_frames))[start:stop:stride]
    assert frames.tolist() == expected
    np.testing.assert_allclose(xyz, traj.xyz[expected], atol=PRECISION.get(fmt, 1e-5))


def test_selection_of_atoms(written):
    traj, paths = written
    atoms = traj.topology.select("resname URE")
    _, xyz, _ = read_all(paths["dcd"], traj.topology, atoms=atoms)
    np.testing.assert_allclose(xyz, traj.xyz[:, atoms], atol=1e-5)


def test_missing_file(written):
    traj, paths = written
    with pytest.raises(InputError, match="trajectory file not found"):
        next(iter_frames(paths["dcd"].with_name("nope.dcd"), traj.topology))


@pytest.mark.parametrize("fmt", ["dcd", "xtc", "trr", "nc"])
def test_unreadable_file(written, fmt, tmp_path):
    traj, _ = written
    garbage = tmp_path / f"garbage.{fmt}"
    garbage.write_text("this is not a trajectory\n" * 10)
    with pytest.raises(InputError, match="cannot read trajectory"):
        list(iter_frames(garbage, traj.topology))


@pytest.mark.parametrize("fmt", ["dcd", "xtc", "trr"])
def test_truncated_file(written, fmt, tmp_path):
    traj, paths = written
    data = paths[fmt].read_bytes()
    cut = tmp_path / f"cut.{fmt}"
    cut.write_bytes(data[: len(data) // 2 + 7])
    with pytest.raises(InputError, match="truncated"):
        list(iter_frames(cut, traj.topology))


@pytest.mark.parametrize("fmt", ["dcd", "xtc", "nc", "pdb"])
def test_atom_count_differs_from_topology(written, fmt):
    traj, paths = written
    smaller = traj.topology.subset(range(traj.n_atoms - 4))
    message = f"has {traj.n_atoms} atoms per frame but the topology has {traj.n_atoms - 4}"
    with pytest.raises(InputError, match=message):
        list(iter_frames(paths[fmt], smaller))


def test_nan_coordinates(written, tmp_path):
    traj, _ = written
    broken = traj[:3]
    broken.xyz[2, 5, 1] = np.nan
    path = tmp_path / "nan.dcd"
    broken.save_dcd(str(path))
    with pytest.raises(InputError, match="NaN or infinite coordinates in frame 2"):
        list(iter_frames(path, traj.topology))


def test_invalid_frame_range(written):
    traj, paths = written
    with pytest.raises(InputError, match="invalid frame range"):
        next(iter_frames(paths["dcd"], traj.topology, stride=0))
