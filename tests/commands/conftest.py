"""The session's trained model with CV heads, and the phase runs replicated to twice the size."""

from __future__ import annotations

from pathlib import Path

import mdtraj as md
import numpy as np
import pytest

from tests.conftest import labelled_trajectories


@pytest.fixture(scope="session")
def clustered_model(trained_run, tmp_path_factory) -> Path:
    """The session's trained model with its CV heads (``heads.json`` of ``latentcv cluster``).

    The pipeline test (tests/commands/test_pipeline.py) clusters the same run with the same defaults
    when it runs first; clustering again would only rewrite the same heads, so it is done here only
    when missing.
    """
    from latentcv.commands.cluster import find_basins
    from latentcv.cv.basins import HEADS_FILE

    runs, summary = trained_run
    if not (summary.run_dir / HEADS_FILE).is_file():
        find_basins(summary.run_dir, labelled_trajectories(runs), runs["crystal"] / "topology.pdb",
                    tmp_path_factory.mktemp("report-cluster"))
    return summary.run_dir


@pytest.fixture(scope="session")
def doubled_runs(phase_runs, tmp_path_factory) -> dict[str, Path]:
    """Each phase run as a 2 x 1 x 1 periodic replica (576 molecules): ``trajectory.dcd`` and
    ``topology.pdb`` per phase. The replica is the same periodic system, so size-intensive
    quantities (the CV's z, the mean Q6) must equal the original's."""
    root = tmp_path_factory.mktemp("doubled")
    out = {}
    for phase, run in phase_runs.items():
        t = md.load(str(run / "trajectory.dcd"), top=str(run / "topology.pdb"))
        shift = t.unitcell_vectors[:, 0, :]
        doubled = md.Trajectory(np.concatenate([t.xyz, t.xyz + shift[:, None, :]], axis=1),
                                t.topology.join(t.topology))
        boxes = t.unitcell_vectors.copy()
        boxes[:, 0, :] *= 2.0
        doubled.unitcell_vectors = boxes
        folder = root / phase
        folder.mkdir()
        doubled[0].save_pdb(str(folder / "topology.pdb"))
        doubled.save_dcd(str(folder / "trajectory.dcd"))
        out[phase] = folder
    return out
