"""Shared fixtures. Importing latentcv first puts torch in the process before openmm/openmmtorch."""

from __future__ import annotations

from pathlib import Path

import latentcv  # noqa: F401  (torch before openmm: see latentcv/__init__.py)
import pytest

from latentcv.md.plumed_kernel import PlumedInstall, find_plumed


@pytest.fixture(scope="session")
def plumed() -> PlumedInstall:
    """The libtorch-enabled PLUMED that `make plumed` built (or the user's). A missing PLUMED is a
    failure, not a skip: `make test` builds it first."""
    return find_plumed()


@pytest.fixture(scope="session")
def phase_runs(tmp_path_factory) -> dict[str, Path]:
    """Short real MD of ice Ih (250 K) and liquid water (300 K), 288 TIP4P/Ice molecules each,
    made once per session by the project's own `simulate`: 16 frames of 0.25 ps per phase."""
    from latentcv.md.simulate import RunConfig, simulate

    root = tmp_path_factory.mktemp("phases")
    runs = {}
    for name, system, temperature, equilibrate in (("crystal", "ice", 250.0, 1.0), ("melt", "water", 300.0, 3.0)):
        config = RunConfig(system, 288, temperature, 1.0, 4.0, equilibrate_ps=equilibrate, frame_ps=0.25, seed=3)
        simulate(config, root / name, progress=False)
        runs[name] = root / name
    return runs
