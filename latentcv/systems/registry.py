"""The example systems by name: builder, force field, crystal or liquid, and how a melt is made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from latentcv.errors import InputError
from latentcv.systems import tip4p_ice, urea
from latentcv.systems.ice import build_ice
from latentcv.systems.structure import Structure
from latentcv.systems.urea import build_urea_crystal
from latentcv.systems.water import build_water


@dataclass(frozen=True)
class SystemKind:
    """One example system.

    Attributes
    ----------
    name : str
        Name on the command line (``--system``).
    summary : str
        One line for help texts.
    build : callable
        ``build(n_molecules, seed) -> Structure``: the starting structure, before any MD.
    forcefield_file : str
        Force-field XML in ``simulation/forcefields``.
    crystal : bool
        Crystals get the anisotropic barostat; liquids the isotropic one.
    minimise : bool
        The built structure is not yet one of this force field (liquid water comes with TIP4P-Ew's
        geometry): it is energy-minimised with the force field before anything else.
    melt_temperature_k : float or None
        When set, the built crystal is melted at this temperature (K), at constant volume, for
        ``melt_ps`` ps before the run equilibrates at its own temperature.
    melt_ps : float
        Length of that melting run (ps).

    Builders only write structures; the minimisation and the melting run are MD, done by
    :func:`latentcv.engines.openmm.prepare.starting_structure`.
    """

    name: str
    summary: str
    build: Callable[[int, int], Structure]
    forcefield_file: str
    crystal: bool
    minimise: bool = False
    melt_temperature_k: float | None = None
    melt_ps: float = 0.0


SYSTEMS: dict[str, SystemKind] = {
    kind.name: kind
    for kind in (
        SystemKind("ice", "TIP4P/Ice proton-disordered ice Ih (genice2)", build_ice, tip4p_ice.FORCEFIELD_FILE, True),
        SystemKind(
            "water", "liquid TIP4P/Ice water", lambda n, seed: build_water(n), tip4p_ice.FORCEFIELD_FILE, False,
            minimise=True,
        ),
        SystemKind(
            "urea-crystal", "urea form I crystal, GAFF", lambda n, seed: build_urea_crystal(n), urea.FORCEFIELD_FILE,
            True
        ),
        # 800 K melts a periodic 128-molecule crystal within about 8 ps (translational order at the
        # noise level of a liquid); 20 ps leaves a margin for larger boxes.
        SystemKind(
            "urea-melt", "urea melt, made by melting the form I crystal at 800 K",
            lambda n, seed: build_urea_crystal(n),
            urea.FORCEFIELD_FILE, False, melt_temperature_k=800.0, melt_ps=20.0,
        ),
    )
}


def get_system(name: str) -> SystemKind:
    """The system called ``name``.

    Raises
    ------
    InputError
        For an unknown name.
    """
    try:
        return SYSTEMS[name]
    except KeyError:
        raise InputError(f"unknown system {name!r} (known: {', '.join(SYSTEMS)})") from None
