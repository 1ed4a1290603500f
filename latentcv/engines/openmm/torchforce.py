"""Build openmm-torch ``TorchForce`` objects from CV modules (the OpenMM adapter's thin glue)."""

from __future__ import annotations

from pathlib import Path

import torch  # noqa: F401  (before openmmtorch: it needs torch's libnvrtc loaded)
import openmmtorch


def make_torch_force(
    module: torch.nn.Module | str | Path,
    periodic: bool = True,
    force_group: int | None = None,
) -> openmmtorch.TorchForce:
    """A TorchForce whose energy (kJ/mol) is ``module(positions, boxvectors)``.

    Parameters
    ----------
    module : torch.nn.Module or path
        A module (scripted here if it is not already) or a TorchScript file. Its forward takes
        ``positions[N, 3]`` in nm for every particle of the System and, when ``periodic``, the box
        vectors ``[3, 3]`` in nm; it returns a scalar.
    periodic : bool
        Whether OpenMM passes the box vectors (``setUsesPeriodicBoundaryConditions``).
    force_group : int, optional
        Force group to put the force in.
    """
    if isinstance(module, (str, Path)):
        force = openmmtorch.TorchForce(str(module))
    else:
        scripted = module if isinstance(module, torch.jit.ScriptModule) else torch.jit.script(module)
        force = openmmtorch.TorchForce(scripted)
    force.setUsesPeriodicBoundaryConditions(periodic)
    if force_group is not None:
        force.setForceGroup(force_group)
    return force
