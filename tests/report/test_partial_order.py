"""The partial-order analysis on values of known shape (no MD: the numbers are built here)."""
import numpy as np

from latentcv.report.partial_order import analyse, solid_threshold
from latentcv.report.values import TrajectoryValues


def _run(label: str, molecules: int, q6_level: float, rng: np.random.Generator,
         crystalline: int | None = None) -> TrajectoryValues:
    frames = 4
    q6_molecules = q6_level + 0.01 * rng.standard_normal((frames, molecules))
    progress = np.full((frames, 1), 1.0 if label == "crystal" else 0.0)
    return TrajectoryValues(f"{label}{molecules}.dcd", "top.pdb", label, molecules, np.arange(frames), progress,
                            q6_molecules.mean(axis=1), q6_molecules, 250.0, crystalline)


def test_bulk_runs_of_different_sizes_pool_their_molecules() -> None:
    """Bulk runs at 8 and 27 molecules (the report's held-out sizes differ): the solid-like
    threshold pools every molecule of every run, and lies between the two phases' q6 levels."""
    rng = np.random.default_rng(0)
    bulk = [_run("crystal", 8, 0.5, rng), _run("crystal", 27, 0.5, rng), _run("melt", 8, 0.1, rng),
            _run("melt", 27, 0.1, rng)]
    result = analyse(bulk, [], [], ["progress"], "crystal", "melt", {})
    assert 0.1 < result["threshold"] <= 0.5
    assert result["threshold"] == solid_threshold(np.concatenate([r.q6_molecules.ravel() for r in bulk[:2]]),
                                                  np.concatenate([r.q6_molecules.ravel() for r in bulk[2:]]))
    assert {row["molecules"] for row in result["bulk"]} == {8, 27}
    crystal_rows = [row for row in result["bulk"] if row["crystal"]]
    assert all(row["values"]["solid-like"]["mean"] == 1.0 for row in crystal_rows)
