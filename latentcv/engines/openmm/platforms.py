"""OpenMM platforms: which exist here, and which one ``auto`` means."""

from __future__ import annotations

import openmm

from latentcv.errors import EngineError

#: Preference order of ``--platform auto``.
AUTO_ORDER = ("CUDA", "OpenCL", "CPU", "Reference")


def platform_names() -> list[str]:
    """Names of the OpenMM platforms whose plugins loaded in this process."""
    return [openmm.Platform.getPlatform(i).getName() for i in range(openmm.Platform.getNumPlatforms())]


def pick_platform(name: str = "auto", threads: int = 0) -> tuple[openmm.Platform, dict[str, str]]:
    """The platform to run on and its properties (mixed precision on GPUs).

    Parameters
    ----------
    name : str
        A platform name, or ``auto`` for the first of CUDA, OpenCL, CPU, Reference present here.
    threads : int
        Force threads of the CPU platform (its ``Threads`` property); 0 keeps OpenMM's default, one
        per core. Other platforms ignore it.

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
    if name == "CPU" and threads > 0:
        properties["Threads"] = str(threads)
    return openmm.Platform.getPlatformByName(name), properties
