"""Reading a topology file (with an optional OpenMM System XML) and applying an atom selection."""

from __future__ import annotations

from pathlib import Path

import mdtraj as md
import numpy as np

from latentcv.data.features import MolecularTopology, build_molecular_topology
from latentcv.data.system_xml import read_system_xml
from latentcv.errors import InputError
from latentcv.readers import reading


def read_topology(
    path: str | Path,
    system_xml: str | Path | None = None,
    selection: str | None = None,
    vocabulary: list[str] | None = None,
) -> tuple[md.Topology, MolecularTopology]:
    """Read a topology and describe the molecules of the selected atoms.

    Parameters
    ----------
    path : str or Path
        Any topology MDTraj reads (pdb, gro, prmtop, psf, h5, ...), or an OpenMM System XML with a
        PDB of the same name beside it (``system.xml`` + ``system.pdb``).
    system_xml : str or Path, optional
        OpenMM System XML for the same atoms: gives masses, charges and virtual sites.
    selection : str, optional
        MDTraj selection (e.g. ``"resname HOH"``); default all atoms.
    vocabulary : list of str, optional
        Element vocabulary of an existing model.

    Returns
    -------
    file_topology : md.Topology
        Every atom of the file (what trajectories must match).
    molecular : MolecularTopology
        The selected atoms.

    Raises
    ------
    InputError
        Missing or unreadable files, a System whose particle count differs from the topology, a
        selection that does not parse or matches no atoms.
    """
    path = Path(path)
    if path.suffix.lower() == ".xml" and system_xml is None:
        pdb = path.with_suffix(".pdb")
        if not pdb.is_file():
            raise InputError(
                f"an OpenMM System XML has no atom names or bonds: put {pdb.name} beside {path} "
                "or give a PDB as the topology and the XML as the system"
            )
        path, system_xml = pdb, path
    if not path.is_file():
        raise InputError(f"topology file not found: {path}")
    with reading(path, "topology"):
        file_topology = md.load_topology(str(path))
    system = None if system_xml is None else read_system_xml(Path(system_xml))
    if system is not None and len(system.masses) != file_topology.n_atoms:
        raise InputError(
            f"the OpenMM System {system_xml} has {len(system.masses)} particles but the topology "
            f"{path} has {file_topology.n_atoms} atoms"
        )
    atoms = np.arange(file_topology.n_atoms)
    if selection is not None:
        try:
            atoms = file_topology.select(selection)
        except Exception as error:  # MDTraj's selection parser raises several types
            raise InputError(f"cannot parse atom selection {selection!r}: {error}") from error
        if len(atoms) == 0:
            raise InputError(f"atom selection {selection!r} matches no atoms of {path}")
    topology = file_topology.subset(atoms) if selection is not None else file_topology
    system = None if system is None else system.subset(atoms)
    return file_topology, build_molecular_topology(topology, atoms, system, vocabulary)
