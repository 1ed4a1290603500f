"""An exported CV as OpenMM objects: a TorchForce, and a BiasVariable for ``openmm.app.Metadynamics``."""

from __future__ import annotations

import math
import os

import openmm.app
import openmmtorch

from latentcv.cv.stats import ComponentStats
from latentcv.engines.exported import load
from latentcv.engines.metadynamics import GRID_MARGIN, grid_range
from latentcv.engines.openmm.torchforce import make_torch_force

#: Grid points per Gaussian width in the bias grid of a BiasVariable.
GRID_POINTS_PER_SIGMA = 5


def torch_force(
    cv_dir: str | os.PathLike[str], component: int = 0, force_group: int | None = None
) -> openmmtorch.TorchForce:
    """A periodic TorchForce whose energy is CV component ``component`` of the exported CV.

    Parameters
    ----------
    cv_dir : path
        Folder written by ``latentcv export``.
    component : int
        CV component (``openmm_cv<component>.pt``).
    force_group : int, optional
        Force group of the TorchForce.
    """
    cv = load(cv_dir)
    return make_torch_force(cv.openmm_path(component), periodic=True, force_group=force_group)


def bias_variable(
    cv_dir: str | os.PathLike[str],
    component: int = 0,
    sigma: float | None = None,
    margin: float = GRID_MARGIN,
    grid_width: int | None = None,
) -> openmm.app.BiasVariable:
    """A BiasVariable on CV component ``component`` with range and width from the metadata.

    Parameters
    ----------
    sigma : float, optional
        Gaussian width (CV units); default the metadata's suggestion.
    margin : float
        Extra range on both sides, as a fraction of the training range
        (:func:`latentcv.engines.metadynamics.grid_range`).
    grid_width : int, optional
        Grid points; default ``GRID_POINTS_PER_SIGMA`` per sigma over the range.
    """
    cv = load(cv_dir)
    meta = cv.component(component)
    width = sigma if sigma is not None else float(meta["sigma"])
    low, high = grid_range(ComponentStats.from_metadata(meta), margin)
    points = grid_width or max(50, int(math.ceil(GRID_POINTS_PER_SIGMA * (high - low) / width)) + 1)
    return openmm.app.BiasVariable(torch_force(cv_dir, component), low, high, width, gridWidth=points)
