"""``latentcv build``: the starting structure of an example system, written as a PDB file (and, for
a coexistence system, its per-molecule labels beside it, :mod:`latentcv.data.molecule_labels`)."""

from __future__ import annotations

import os
from pathlib import Path

from latentcv.data.molecule_labels import labels_path
from latentcv.engines.openmm.prepare import coexistence_structure, starting_structure, write_coexistence_labels
from latentcv.errors import InputError, LatentCVError
from latentcv.systems.coexistence import Coexistence
from latentcv.systems.registry import get_system


def build(system: str, molecules: int, out: str | os.PathLike[str], seed: int = 1, platform: str = "auto",
          coexistence: Coexistence | None = None, temperature: float | None = None) -> Path:
    """Build ``system`` (a name of :data:`latentcv.systems.registry.SYSTEMS`) with about ``molecules``
    molecules, ready for MD (minimised or melted where the system asks for it,
    :func:`latentcv.engines.openmm.prepare.starting_structure`), and write it to the PDB file ``out``.
    A coexistence system keeps ``coexistence``'s part crystalline and is quenched to ``temperature``
    (:func:`latentcv.engines.openmm.prepare.coexistence_structure`); its labels go to
    ``NAME.labels.csv`` beside ``out``.

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
    coexistence : Coexistence, optional
        A coexistence system's crystal content (required for one, refused for the others).
    temperature : float, optional
        K: the temperature a coexistence system is quenched to (required for one).

    Returns
    -------
    Path
        The PDB file.
    """
    kind = get_system(system)
    if (kind.coexistence is None) != (coexistence is None):
        raise InputError(f"{system} is {'not ' if kind.coexistence is None else ''}a coexistence system: "
                         "--crystal-fraction and --crystal-molecules go with the *-slab and *-nucleus systems only")
    crystalline = None
    if coexistence is None:
        structure = starting_structure(kind, molecules, seed, platform)
    else:
        if temperature is None:
            raise InputError(f"{system}: give --temperature, the temperature the melted part is quenched to")
        structure, crystalline = coexistence_structure(kind, molecules, coexistence, temperature, seed, platform)
    try:
        structure.write_pdb(out)
        if crystalline is not None:
            write_coexistence_labels(labels_path(out), kind, coexistence, crystalline, temperature)
    except OSError as err:
        raise LatentCVError(f"cannot write {out}: {err.strerror or err}") from None
    return Path(out)
