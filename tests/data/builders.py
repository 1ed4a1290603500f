"""Tiny periodic systems written to disk with MDTraj (and OpenMM System XML) for the data tests.

Water-like molecules (O, H, H and a massless M site) and a bigger 8-atom urea-like molecule
(C, O, N, N, H, H, H, H), randomly placed and oriented in a triclinic box, with atoms wrapped one
by one into the box so that molecules are split across the boundary.
"""

from __future__ import annotations

from pathlib import Path

import mdtraj as md
import numpy as np

import latentcv  # noqa: F401  (torch before openmm-related imports)
import openmm
from openmm import unit

E = md.element
WATER = [
    ("O", E.oxygen, (0.0, 0.0, 0.0)),
    ("H1", E.hydrogen, (0.09572, 0.0, 0.0)),
    ("H2", E.hydrogen, (-0.02399, 0.09267, 0.0)),
    ("M", E.virtual, (0.00885, 0.00982, 0.0)),
]
WATER_BONDS = [(0, 1), (0, 2)]
UREA = [
    ("C", E.carbon, (0.0, 0.0, 0.0)),
    ("O", E.oxygen, (0.0, 0.126, 0.0)),
    ("N1", E.nitrogen, (0.116, -0.067, 0.0)),
    ("N2", E.nitrogen, (-0.116, -0.067, 0.0)),
    ("H11", E.hydrogen, (0.203, -0.017, 0.0)),
    ("H12", E.hydrogen, (0.116, -0.168, 0.0)),
    ("H21", E.hydrogen, (-0.203, -0.017, 0.0)),
    ("H22", E.hydrogen, (-0.116, -0.168, 0.0)),
]
UREA_BONDS = [(0, 1), (0, 2), (0, 3), (2, 4), (2, 5), (3, 6), (3, 7)]
CHARGES = {"O": -1.0, "H": 0.5, "M": 0.0, "C": 0.88, "N": -0.92}
BOX_LENGTHS = (2.2, 2.4, 2.6)
BOX_ANGLES = (80.0, 95.0, 105.0)


def build_topology(n_water: int = 5, n_urea: int = 2, bonds: bool = True) -> md.Topology:
    """Waters (residue HOH) then urea-like molecules (residue URE)."""
    topology = md.Topology()
    chain = topology.add_chain()
    kinds = (("HOH", WATER, WATER_BONDS, n_water), ("URE", UREA, UREA_BONDS, n_urea))
    for name, atoms, pairs, count in kinds:
        for _ in range(count):
            residue = topology.add_residue(name, chain)
            added = [topology.add_atom(a, element, residue) for a, element, _ in atoms]
            if bonds:
                for i, j in pairs:
                    topology.add_bond(added[i], added[j])
    return topology


def random_whole_frames(
    topology: md.Topology, n_frames: int, rng: np.random.Generator, box: np.ndarray
) -> np.ndarray:
    """Whole molecules at random centres and orientations, shape ``(n_frames, N, 3)``, nm."""
    frames = []
    for _ in range(n_frames):
        xyz = []
        for residue in topology.residues:
            template = np.array([p for _, _, p in (WATER if residue.name == "HOH" else UREA)])
            rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
            centre = rng.uniform(0, 1, 3) @ box
            xyz.append(template @ rotation.T + centre)
        frames.append(np.concatenate(xyz))
    return np.array(frames, dtype=np.float32)


def wrap_atoms(xyz: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Every atom moved into the box by lattice vectors (splits molecules), same shape."""
    fractional = xyz @ np.linalg.inv(box)
    return ((fractional - np.floor(fractional)) @ box).astype(np.float32)


def make_trajectory(
    n_frames: int = 6,
    seed: int = 0,
    n_water: int = 5,
    n_urea: int = 2,
    lengths=BOX_LENGTHS,
    angles=BOX_ANGLES,
) -> md.Trajectory:
    """A trajectory of split molecules in a triclinic box."""
    topology = build_topology(n_water, n_urea)
    traj = md.Trajectory(
        np.zeros((n_frames, topology.n_atoms, 3), dtype=np.float32),
        topology,
        unitcell_lengths=np.tile(lengths, (n_frames, 1)),
        unitcell_angles=np.tile(angles, (n_frames, 1)),
    )
    box = traj.unitcell_vectors[0]
    whole = random_whole_frames(topology, n_frames, np.random.default_rng(seed), box)
    traj.xyz = wrap_atoms(whole, box)
    return traj


def write_system_xml(topology: md.Topology, path: Path) -> Path:
    """An OpenMM System for ``topology``: element masses, M as a virtual site, charges."""
    system = openmm.System()
    nonbonded = openmm.NonbondedForce()
    for atom in topology.atoms:
        massless = atom.element is E.virtual
        system.addParticle(0.0 if massless else atom.element.mass)
        charge = CHARGES["M" if massless else atom.element.symbol]
        nonbonded.addParticle(charge * unit.elementary_charge, 0.3, 0.5)
    for residue in topology.residues:
        atoms = [a.index for a in residue.atoms]
        if residue.name == "HOH":
            site = openmm.ThreeParticleAverageSite(atoms[0], atoms[1], atoms[2], 0.8, 0.1, 0.1)
            system.setVirtualSite(atoms[3], site)
    system.addForce(nonbonded)
    path.write_text(openmm.XmlSerializer.serialize(system))
    return path


def write_files(traj: md.Trajectory, folder: Path, formats=("dcd",)) -> dict[str, Path]:
    """``traj`` saved as ``system.<format>`` per format, and its first frame as ``system.pdb``."""
    paths = {"pdb": folder / "system.pdb"}
    traj[0].save_pdb(str(paths["pdb"]))
    for fmt in formats:
        paths[fmt] = folder / f"system.{fmt}"
        traj.save(str(paths[fmt]))
    return paths
