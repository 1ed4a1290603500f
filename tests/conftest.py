"""Shared fixtures. Importing latentcv first puts torch in the process before openmm/openmmtorch."""

from __future__ import annotations

from pathlib import Path

import latentcv  # noqa: F401  (torch before openmm: see latentcv/__init__.py)
import pytest

from latentcv.engines.plumed.kernel import PlumedInstall, find_plumed


@pytest.fixture(scope="session")
def plumed() -> PlumedInstall:
    """The libtorch-enabled PLUMED that `make plumed` built (or the user's). A missing PLUMED is a
    failure, not a skip: `make test` builds it first."""
    return find_plumed()


@pytest.fixture(scope="session")
def phase_runs(tmp_path_factory) -> dict[str, Path]:
    """Short real MD of ice Ih (250 K) and liquid water (300 K), 288 TIP4P/Ice molecules each,
    made once per session by the project's own `simulate`: 16 frames of 0.25 ps per phase."""
    from latentcv.commands.simulate import RunConfig, simulate

    root = tmp_path_factory.mktemp("phases")
    runs = {}
    for name, system, temperature, equilibrate in (("crystal", "ice", 250.0, 1.0), ("melt", "water", 300.0, 3.0)):
        config = RunConfig(system, 288, temperature, 1.0, 4.0, equilibrate_ps=equilibrate, frame_ps=0.25, seed=3)
        simulate(config, root / name, progress=False)
        runs[name] = root / name
    return runs


#: A small model: enough to separate ice from water in a few epochs on the CPU.
SMALL_MODEL = {"model": {"atom_dim": 16, "node_dim": 32, "latent_dim": 4, "heads": 4},
               "stages": {"molecule_epochs": 1}, "train": {"epochs": 3, "batch_size": 4, "lr": 2e-3}}


def labelled_trajectories(runs: dict[str, Path]) -> list[str]:
    """``file:label`` arguments for the crystal and melt runs of :func:`phase_runs`."""
    return [f"{runs['crystal'] / 'trajectory.dcd'}:crystal", f"{runs['melt'] / 'trajectory.dcd'}:melt"]


@pytest.fixture(scope="session")
def trained_run(phase_runs, tmp_path_factory):
    """A model trained once per session on the phase runs: (runs, TrainSummary)."""
    from latentcv.nn.settings import Settings

    out = tmp_path_factory.mktemp("run") / "ice-water"
    summary = latentcv.train(labelled_trajectories(phase_runs), phase_runs["crystal"] / "topology.pdb", out,
                             Settings.load(overrides=SMALL_MODEL), verbose=False)
    return phase_runs, summary


@pytest.fixture(scope="session")
def ice_run(tmp_path_factory):
    """Ice system, minimised state and untrained CV for the metadynamics tests, made once per session
    (a few seconds): an :class:`tests.engines.openmm.metad_setup.IceRun`."""
    from tests.engines.openmm.metad_setup import make_ice_run

    return make_ice_run(tmp_path_factory.mktemp("ice-run"))
