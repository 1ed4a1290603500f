"""The files a run starts from, written for a ready structure without running MD: ``system.xml``
(the OpenMM System) and ``topology.pdb`` (its particles, virtual sites included), as
``latentcv simulate`` writes them."""

from __future__ import annotations

import os
from pathlib import Path

import openmm

from latentcv.engines.openmm.simulation import add_barostat, create_system
from latentcv.systems.structure import Structure


def write_system_files(
    structure: Structure,
    forcefield_file: str,
    out_dir: str | os.PathLike[str],
    pressure_bar: float | None = None,
    temperature_k: float | None = None,
    anisotropic: bool = False,
    seed: int = 1,
) -> tuple[Path, Path]:
    """Write ``out_dir/system.xml`` and ``out_dir/topology.pdb`` for ``structure``.

    Parameters
    ----------
    structure : Structure
        Positions (nm) and topology, e.g. ``read_pdb("simulation/crystal/ice.pdb")``.
    forcefield_file : str
        Force-field XML in ``simulation/forcefields`` (e.g. ``"tip4p-ice.xml"``).
    out_dir : path
        Folder (created when missing).
    pressure_bar, temperature_k : float, optional
        With both, a Monte Carlo barostat at this pressure (bar) and temperature (K) is added;
        without, the System has constant volume.
    anisotropic : bool
        Barostat scales each box edge on its own (crystals).
    seed : int
        Barostat seed.

    Returns
    -------
    system_xml, topology_pdb : Path
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    system = create_system(structure, forcefield_file)
    if pressure_bar is not None and temperature_k is not None:
        add_barostat(system, temperature_k, pressure_bar, anisotropic, seed)
    system_xml, topology_pdb = out / "system.xml", out / "topology.pdb"
    system_xml.write_text(openmm.XmlSerializer.serialize(system))
    structure.write_pdb(topology_pdb)
    return system_xml, topology_pdb
