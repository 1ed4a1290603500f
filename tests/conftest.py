"""Shared fixtures. Importing latentcv first puts torch in the process before openmm/openmmtorch."""

from __future__ import annotations

import latentcv  # noqa: F401  (torch before openmm: see latentcv/__init__.py)
import pytest

from latentcv.md.plumed_kernel import PlumedInstall, find_plumed


@pytest.fixture(scope="session")
def plumed() -> PlumedInstall:
    """The libtorch-enabled PLUMED that `make plumed` built (or the user's). A missing PLUMED is a
    failure, not a skip: `make test` builds it first."""
    return find_plumed()
