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


@pytest.fixture(scope="session")
def slab_run(tmp_path_factory) -> Path:
    """A real coexistence run through the project's own `simulate`: 288 TIP4P/Ice molecules, a
    quarter of them kept as a slab of ice (normal x) while the rest melted for 12 ps at 450 K (the
    system's own 20 ps, shortened: 8 ps melted it here), quenched to 250 K and released; 3 frames
    of 0.5 ps. A run folder with ``trajectory.labels.csv``."""
    from dataclasses import replace

    from latentcv.commands.simulate import RunConfig, simulate
    from latentcv.systems.registry import SYSTEMS

    out = tmp_path_factory.mktemp("slab") / "slab"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(SYSTEMS, "ice-water-slab", replace(SYSTEMS["ice-water-slab"], melt_ps=12.0))
        config = RunConfig("ice-water-slab", 288, 250.0, 1.0, 1.0, equilibrate_ps=0.0, frame_ps=0.5, seed=3,
                           crystal_fraction=0.25, axis="x")
        simulate(config, out, progress=False)
    return out


#: The small model with the per-molecule crystallinity readout (the fast shipped model's encoder).
CRYSTALLINITY_MODEL = {
    "model": {"atom_dim": 16, "node_dim": 16, "latent_dim": 4, "heads": 2, "intra_layers": 1, "inter_layers": 1,
              "pooling": "mean", "distance_basis": 8, "cutoff": 0.41, "switch_on": 0.28, "readout": "mean",
              "crystallinity": True},
    "stages": {"molecule_epochs": 1, "crystallinity_epochs": 25},
    "train": {"epochs": 2, "batch_size": 4, "lr": 2e-3},
}


@pytest.fixture(scope="session")
def crystallinity_run(phase_runs, slab_run, tmp_path_factory):
    """A model with the crystallinity readout trained once per session on the phase runs and the
    slab run's labelled molecules, and clustered: (run folder, TrainSummary)."""
    from latentcv.commands.cluster import find_basins
    from latentcv.nn.settings import Settings

    out = tmp_path_factory.mktemp("run") / "crystallinity"
    summary = latentcv.train([*labelled_trajectories(phase_runs), str(slab_run / "trajectory.dcd")],
                             phase_runs["crystal"] / "topology.pdb", out, Settings.load(overrides=CRYSTALLINITY_MODEL),
                             verbose=False)
    find_basins(out, labelled_trajectories(phase_runs), phase_runs["crystal"] / "topology.pdb",
                tmp_path_factory.mktemp("crystallinity-cluster"))
    return out, summary
