"""The example systems by name: builder, force field, crystal or liquid, and how a melt is made.

Besides the bulk phases there are coexistence systems: a crystal slab in its melt
(``ice-water-slab``, ``urea-slab``) and a crystal nucleus in its melt (``ice-water-nucleus``,
``urea-nucleus``), built by melting the rest of a crystal around the part that is kept
(:mod:`latentcv.engines.openmm.coexistence`); they need a crystal fraction or count (``latentcv simulate
--crystal-fraction``) and come with per-molecule labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from latentcv.errors import InputError
from latentcv.systems import tip4p_ice, urea
from latentcv.systems.coexistence import AXES, Coexistence
from latentcv.systems.forcefields import MIN_BOX_EDGE_NM
from latentcv.systems.ice import MOLECULES_PER_CELL as ICE_PER_CELL
from latentcv.systems.ice import build_ice, ice1h_cell_nm
from latentcv.systems.structure import Structure
from latentcv.systems.supercell import choose_slab_supercell
from latentcv.systems.urea import CELL_NM as UREA_CELL_NM
from latentcv.systems.urea import MOLECULES_PER_CELL as UREA_PER_CELL
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
    coexistence : str or None
        ``slab`` or ``sphere`` for a coexistence system: the crystal built by ``build`` (or
        ``build_along``) keeps a slab or a nucleus, and the rest is melted at ``melt_temperature_k``
        for ``melt_ps`` around it, instead of the whole.
    build_along : callable, optional
        ``build_along(n_molecules, seed, axis) -> Structure``: a slab system's crystal, its box
        longest along ``axis`` (0, 1, 2), which becomes the slab normal.

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
    coexistence: str | None = None
    build_along: Callable[[int, int, int], Structure] | None = None


def _ice_along(n_molecules: int, seed: int, axis: int) -> Structure:
    reps = choose_slab_supercell(n_molecules, ICE_PER_CELL, ice1h_cell_nm(), MIN_BOX_EDGE_NM, axis)
    return build_ice(n_molecules, seed, reps=reps)


def _urea_along(n_molecules: int, seed: int, axis: int) -> Structure:
    reps = choose_slab_supercell(n_molecules, UREA_PER_CELL, UREA_CELL_NM, MIN_BOX_EDGE_NM, axis)
    return build_urea_crystal(n_molecules, reps=reps)


#: K and ps of the melt around a kept crystal part, at constant volume. A 288-molecule TIP4P/Ice box
#: with a quarter restrained lost the in-plane Bragg order of its melted part after 8 ps at 450 K and
#: kept it after 5 ps; 20 ps leaves a margin for thicker melts. Urea as for ``urea-melt``.
_ICE_MELT = {"melt_temperature_k": 450.0, "melt_ps": 20.0}
_UREA_MELT = {"melt_temperature_k": 800.0, "melt_ps": 20.0}


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
        SystemKind(
            "ice-water-slab",
            "TIP4P/Ice: a slab of ice Ih in water (--crystal-fraction; normal along the longest edge)",
            build_ice, tip4p_ice.FORCEFIELD_FILE, True, **_ICE_MELT, coexistence="slab", build_along=_ice_along,
        ),
        SystemKind(
            "ice-water-nucleus", "TIP4P/Ice: a spherical ice Ih nucleus in water (--crystal-molecules)",
            build_ice, tip4p_ice.FORCEFIELD_FILE, False, **_ICE_MELT, coexistence="sphere",
        ),
        SystemKind(
            "urea-slab", "urea: a slab of form I in the melt (--crystal-fraction; normal along the longest edge)",
            lambda n, seed: build_urea_crystal(n), urea.FORCEFIELD_FILE, True, **_UREA_MELT, coexistence="slab",
            build_along=_urea_along,
        ),
        SystemKind(
            "urea-nucleus", "urea: a spherical form I nucleus in the melt (--crystal-molecules)",
            lambda n, seed: build_urea_crystal(n), urea.FORCEFIELD_FILE, False, **_UREA_MELT, coexistence="sphere",
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


def coexistence_options(system: str, fraction: float | None, molecules: int | None,
                        axis: str | None) -> Coexistence | None:
    """The crystal content of a coexistence system from the command line's options
    (``--crystal-fraction``, ``--crystal-molecules``, ``--axis``); None for the other systems.

    Raises
    ------
    InputError
        For an unknown system, options given to a system that takes none, a coexistence system
        without exactly one of ``fraction`` and ``molecules``, or an axis that is not x, y or z of a slab.
    """
    kind = get_system(system)
    given = [name for name, value in (("--crystal-fraction", fraction), ("--crystal-molecules", molecules),
                                      ("--axis", axis)) if value is not None]
    if kind.coexistence is None:
        if given:
            raise InputError(f"{system} is not a coexistence system: {', '.join(given)} apply to "
                             f"{', '.join(k for k, v in SYSTEMS.items() if v.coexistence)}")
        return None
    if (fraction is None) == (molecules is None):
        raise InputError(f"{system} needs --crystal-fraction or --crystal-molecules (one of them)")
    if axis is not None and (axis not in AXES or kind.coexistence != "slab"):
        raise InputError(f"--axis is x, y or z, for a slab system; got {axis!r} for {system}")
    return Coexistence(fraction, molecules, None if axis is None else AXES.index(axis))
