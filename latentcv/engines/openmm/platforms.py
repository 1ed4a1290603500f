"""OpenMM platforms: which exist here, and which one ``auto`` means."""

from __future__ import annotations

import openmm

from latentcv.errors import EngineError

#: Preference order of ``--platform auto``.
AUTO_ORDER = ("CUDA", "OpenCL", "CPU", "Reference")


def platform_names() -> list[str]:
    """Names of the OpenMM platforms whose plugins loaded in this process."""
    return [openmm.Platform.getPlatform(i).getName() for i in range(openmm.Platform.getNumPlatforms())]


def pick_platform(name: str = "auto") -> tuple[openmm.Platform, dict[str, str]]:
    """The platform to run on and its properties (mixed precision on GPUs).

    Parameters
    ----------
    name : str
        A platform name, or ``auto`` for the first of CUDA, OpenCL, CPU, Reference present here.

    Raises
    ------
    EngineError
        When the named platform is not available.
    """
    names = platform_names()
    if name == "auto":
        name = next(n for n in AUTO_ORDER if n in names)
    if name not in names:
        raise EngineError(f"OpenMM platform {name!r} is not available here (available: {', '.join(names)})")
    properties = {"Precision": "mixed"} if name in ("CUDA", "OpenCL", "HIP") else {}
    return openmm.Platform.getPlatformByName(name), properties
