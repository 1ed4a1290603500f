"""Whether an OpenMM System constrains the bonds a CV with fixed bonds needs.

A CV exported with ``latentcv export --constrained-bonds`` stores stage 1 at fixed bond lengths
(:mod:`latentcv.nn.fixed_bonds`). It gives the full CV's dynamics only when the MD holds every one of
those bonds at that length, so the metadynamics driver checks the System before it runs.
"""

from __future__ import annotations

import openmm

from latentcv.data.system_xml import constrained_lengths, constraint_lengths
from latentcv.engines.exported import ExportedCV
from latentcv.errors import InputError
from latentcv.nn.fixed_bonds import LENGTH_TOLERANCE


def check_fixed_bonds(system: openmm.System, cv: ExportedCV, tolerance: float = LENGTH_TOLERANCE) -> None:
    """Raise InputError unless ``system`` constrains every fixed bond of ``cv`` to its length
    (within ``tolerance`` nm); nothing to check for a CV without fixed bonds.

    Parameters
    ----------
    system : openmm.System
        The System the CV will bias.
    cv : ExportedCV
        The exported CV folder.
    tolerance : float
        nm.
    """
    fixed = cv.fixed_bonds
    constrained = constrained_lengths(constraint_lengths(system), [(i, j) for i, j, _ in fixed])
    for (i, j, length), distance in zip(fixed, constrained):
        if distance is None:
            raise InputError(
                f"the CV in {cv.folder} was exported with --constrained-bonds, but the System does not constrain "
                f"the bond of particles {i} and {j}: constrain every bond (rigid water), or export without it"
            )
        if abs(distance - length) > tolerance:
            raise InputError(
                f"the CV in {cv.folder} fixed the bond of particles {i} and {j} at {length:.5f} nm, the System "
                f"constrains it to {distance:.5f} nm: export the CV from a structure of this force field"
            )
