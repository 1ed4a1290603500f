"""Steinhardt Q6 of molecular centres: known lattice values, perfect ice, and ice against water MD."""

from __future__ import annotations

import numpy as np
import pytest

from latentcv.data.topology import read_topology
from latentcv.errors import InputError
from latentcv.report.q6 import default_cutoff, frame_q6, trajectory_q6
from latentcv.systems.ice import build_ice


def _grid(n: int) -> np.ndarray:
    return np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3).astype(float)


def test_known_lattices_in_orthorhombic_and_triclinic_boxes() -> None:
    # simple cubic: q6 = sqrt(4 pi / 13 * sum |q6m|^2) = 0.353553 for the 6 neighbours at +-x, y, z
    cubic = frame_q6(_grid(5) * 0.3, np.eye(3) * 1.5, cutoff=0.35)
    assert cubic == pytest.approx(0.353553, abs=1e-5)
    # fcc in its primitive (triclinic, not lower-triangular) cell: 12 neighbours, q6 = 0.574524
    primitive = 0.2 * np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    fcc = frame_q6(_grid(6) @ primitive, 6 * primitive, cutoff=0.33)
    assert fcc == pytest.approx(0.574524, abs=1e-5)
    # a point with no neighbour scores 0
    assert frame_q6(np.zeros((1, 3)), np.eye(3), cutoff=0.3) == pytest.approx(0.0)


def test_perfect_ice_is_tetrahedral(tmp_path) -> None:
    """Ice Ih: 4 tetrahedral neighbours, q6 near the ideal tetrahedron's 0.6285 (the centres of mass
    sit slightly off the oxygens of the proton-disordered lattice)."""
    pdb = tmp_path / "ice.pdb"
    build_ice(288).write_pdb(pdb)
    file_topology, molecular = read_topology(pdb)
    assert default_cutoff(file_topology) == 0.35
    q6 = trajectory_q6(pdb, file_topology, molecular, default_cutoff(file_topology))
    assert q6.shape == (1,) and q6[0] == pytest.approx(0.6285, abs=0.01)


def test_ice_md_above_water_md(phase_runs) -> None:
    values = {}
    for phase, run in phase_runs.items():
        file_topology, molecular = read_topology(run / "topology.pdb")
        values[phase] = trajectory_q6(run / "trajectory.dcd", file_topology, molecular, 0.35, stride=2)
        averaged = trajectory_q6(run / "trajectory.dcd", file_topology, molecular, 0.35, average=True, stride=2)
        assert len(values[phase]) == len(averaged) == 8 and (averaged < values[phase]).all()
    assert values["crystal"].min() > values["melt"].max() + 0.05, values


def test_cutoff_checks(phase_runs, tmp_path) -> None:
    file_topology, molecular = read_topology(phase_runs["crystal"] / "topology.pdb")
    with pytest.raises(InputError, match="half the smallest box width"):
        trajectory_q6(phase_runs["crystal"] / "trajectory.dcd", file_topology, molecular, 5.0)
    other = tmp_path / "other.pdb"
    other.write_text(
        "CRYST1   30.000   30.000   30.000  90.00  90.00  90.00 P 1           1\n"
        "HETATM    1  C1  XYZ A   1       1.000   1.000   1.000  1.00  0.00           C\nEND\n"
    )
    with pytest.raises(InputError, match="--q6-cutoff"):
        default_cutoff(read_topology(other)[0])
