"""Masses, charges and virtual sites from an OpenMM System XML beside a PDB."""

import numpy as np
import pytest

from latentcv.data.topology import read_topology
from latentcv.errors import InputError
from tests.data.builders import (
    CHARGES,
    build_topology,
    make_trajectory,
    write_files,
    write_system_xml,
)


@pytest.fixture()
def files(tmp_path):
    traj = make_trajectory(n_frames=2)
    paths = write_files(traj, tmp_path)
    paths["xml"] = write_system_xml(traj.topology, tmp_path / "system.xml")
    return traj, paths


@pytest.mark.parametrize("how", ["xml_beside_pdb", "pdb_plus_xml"])
def test_xml_gives_masses_charges_and_virtual_sites(files, how):
    traj, paths = files
    if how == "xml_beside_pdb":
        _, molecular = read_topology(paths["xml"])
    else:
        _, molecular = read_topology(paths["pdb"], system_xml=paths["xml"])
    expected_charges = [
        CHARGES["M" if a.element.mass == 0 else a.element.symbol] for a in traj.topology.atoms
    ]
    np.testing.assert_allclose(molecular.charges.numpy(), expected_charges)
    virtual = molecular.is_virtual.numpy()
    assert virtual.tolist() == [a.name == "M" for a in traj.topology.atoms]
    assert (molecular.masses.numpy()[virtual] == 0).all()
    np.testing.assert_allclose(molecular.masses.numpy()[0], 15.99943, rtol=1e-6)


def test_xml_without_pdb_beside_it(tmp_path):
    xml = write_system_xml(build_topology(2, 0), tmp_path / "lonely.xml")
    with pytest.raises(InputError, match="put lonely.pdb beside"):
        read_topology(xml)


def test_xml_with_other_particle_count(files, tmp_path):
    _, paths = files
    other = write_system_xml(build_topology(1, 0), tmp_path / "other.xml")
    with pytest.raises(InputError, match="has 4 particles but the topology"):
        read_topology(paths["pdb"], system_xml=other)


def test_unreadable_xml(files, tmp_path):
    _, paths = files
    bad = tmp_path / "bad.xml"
    bad.write_text("<System><oops")
    with pytest.raises(InputError, match="cannot read OpenMM System XML"):
        read_topology(paths["pdb"], system_xml=bad)
    with pytest.raises(InputError, match="OpenMM System XML not found"):
        read_topology(paths["pdb"], system_xml=tmp_path / "missing.xml")


def test_selection_subsets_xml_parameters(files):
    traj, paths = files
    _, molecular = read_topology(paths["pdb"], system_xml=paths["xml"], selection="resname URE")
    assert molecular.n_atoms == 16
    assert molecular.source_atoms.tolist() == traj.topology.select("resname URE").tolist()
    assert molecular.charges[0] == pytest.approx(CHARGES["C"])
