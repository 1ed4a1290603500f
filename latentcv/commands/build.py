"""``latentcv build``: the starting structure of an example system, written as a PDB file."""

from __future__ import annotations

import os
from pathlib import Path

from latentcv.engines.openmm.prepare import starting_structure
from latentcv.errors import LatentCVError
from latentcv.systems.registry import get_system


def build(system: str, molecules: int, out: str | os.PathLike[str], seed: int = 1, platform: str = "auto") -> Path:
    """Build ``system`` (a name of :data:`latentcv.systems.registry.SYSTEMS`) with about ``molecules``
    molecules, ready for MD (minimised or melted where the system asks for it,
    :func:`latentcv.engines.openmm.prepare.starting_structure`), and write it to the PDB file ``out``.

    Parameters
    ----------
    system : str
        The example system.
    molecules : int
        Requested number of molecules; the nearest box that can be built is used (a log message says which).
    out : path
        PDB file to write.
    seed : int
        Seed of the builder and of any MD it takes.
    platform : str
        OpenMM platform of that MD, or ``auto``.

    Returns
    -------
    Path
        The PDB file.
    """
    structure = starting_structure(get_system(system), molecules, seed, platform)
    try:
        structure.write_pdb(out)
    except OSError as err:
        raise LatentCVError(f"cannot write {out}: {err.strerror or err}") from None
    return Path(out)
