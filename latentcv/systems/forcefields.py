"""Force-field files of the example systems and the nonbonded settings they are used with.

The XML files live in ``<checkout>/simulation/forcefields`` (the package is installed editable from
the checkout), next to the ready structures in ``simulation/crystal`` and ``simulation/melt``.
"""

from __future__ import annotations

from pathlib import Path

from openmm import app

from latentcv.errors import EngineError

#: ``<checkout>/simulation``: force fields, ready structures and their README.
SIMULATION_DIR = Path(__file__).resolve().parents[2] / "simulation"

#: Where ``tip4p-ice.xml`` and ``urea.xml`` are.
FORCEFIELD_DIR = SIMULATION_DIR / "forcefields"

#: Real-space cutoff of Lennard-Jones and PME (nm). TIP4P/Ice was parametrised with 0.85 nm.
NONBONDED_CUTOFF_NM = 0.85

#: Smallest box edge a builder accepts (nm): twice the cutoff plus 0.05 nm of room for the barostat.
MIN_BOX_EDGE_NM = 2 * NONBONDED_CUTOFF_NM + 0.05


def forcefield_file(name: str) -> Path:
    """Path of one force-field XML file of ``simulation/forcefields`` (e.g. ``"urea.xml"``).

    Raises
    ------
    EngineError
        When the file is missing (the package is not run from a complete checkout).
    """
    path = FORCEFIELD_DIR / name
    if not path.is_file():
        raise EngineError(f"force-field file {path} is missing: latentcv needs its checkout's simulation/ folder")
    return path


def load_forcefield(*names: str) -> app.ForceField:
    """An OpenMM ForceField made of the named XML files of ``simulation/forcefields``."""
    return app.ForceField(*(str(forcefield_file(n)) for n in names))
