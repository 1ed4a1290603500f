"""A CV with fixed bonds in OpenMM (``latentcv.engines.openmm.constraints``): the System check, and the same
biased dynamics as the full CV.

Real TIP4P/Ice (288 molecules, rigid water by SETTLE) with the untrained CV of ``ice_run`` and the
same encoder exported with ``constrained_bonds=True``. Both runs start from one state with one
random seed; the fixed CV drops only forces along the constrained bonds, so after 10 steps the
trajectories agree to 1e-3 of the displacement the bias itself causes (measured: 1.6e-6 nm against
0.022 nm, with float32 and float64 exports alike: the fixed lengths are means over the PDB's rounded
bonds, and SETTLE holds the bonds to its tolerance, not exactly).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import openmm
import pytest
from openmm import unit

from latentcv.commands.metad import run_metad
from latentcv.data.system_xml import constraint_lengths
from latentcv.engines.export import export_untrained_cv
from latentcv.engines.exported import load
from latentcv.engines.openmm.constraints import check_fixed_bonds
from latentcv.engines.openmm.cv_force import torch_force
from latentcv.engines.openmm.simulation import make_simulation
from latentcv.errors import InputError
from latentcv.systems.forcefields import SIMULATION_DIR
from latentcv.systems.structure import read_pdb
from tests.engines.openmm.metad_setup import TEMPERATURE, frame

#: kJ/mol per unit of progress: a strong bias, so that the control moves the atoms visibly.
BIAS_STRENGTH = 2000.0
STEPS = 10


@pytest.fixture(scope="module")
def fixed_cv(ice_run, tmp_path_factory) -> Path:
    """``ice_run``'s untrained CV (same seed, same weights) with the bonds fixed at the ice's."""
    return export_untrained_cv(ice_run.pdb, frame(SIMULATION_DIR / "melt" / "water.pdb"),
                               frame(SIMULATION_DIR / "crystal" / "ice.pdb"), tmp_path_factory.mktemp("fixed") / "cv",
                               TEMPERATURE, constrained_bonds=True)


def _system(ice_run) -> openmm.System:
    return openmm.XmlSerializer.deserialize(ice_run.system_xml.read_text())


def test_the_check_accepts_rigid_water_and_refuses_free_or_other_bonds(ice_run, fixed_cv) -> None:
    system, cv = _system(ice_run), load(fixed_cv)
    assert len(cv.fixed_bonds) == 2 * 288
    lengths = constraint_lengths(system)
    assert all(lengths[(i, j)] == pytest.approx(length, abs=1e-5) for i, j, length in cv.fixed_bonds)
    check_fixed_bonds(system, cv)
    check_fixed_bonds(system, load(ice_run.cv))  # a full CV: nothing to check
    i, j, _ = cv.fixed_bonds[5]
    other = openmm.XmlSerializer.clone(system)
    k = next(k for k in range(other.getNumConstraints()) if sorted(other.getConstraintParameters(k)[:2]) == [i, j])
    other.setConstraintParameters(k, i, j, 0.1 * unit.nanometer)
    with pytest.raises(InputError, match=f"fixed the bond of particles {i} and {j} at 0.0957"):
        check_fixed_bonds(other, cv)
    other.removeConstraint(k)
    with pytest.raises(InputError, match=f"does not constrain the bond of particles {i} and {j}"):
        check_fixed_bonds(other, cv)


def _biased_positions(ice_run, cv_dir: Path | None) -> np.ndarray:
    """Positions (nm) after STEPS Langevin steps on the CPU platform with BIAS_STRENGTH x progress
    (none without ``cv_dir``), from ``ice_run``'s state."""
    system = _system(ice_run)
    if cv_dir is not None:
        bias = openmm.CustomCVForce(f"{BIAS_STRENGTH}*progress")
        bias.addCollectiveVariable("progress", torch_force(cv_dir, 0))
        system.addForce(bias)
    simulation = make_simulation(read_pdb(ice_run.pdb).topology, system, TEMPERATURE, seed=3, platform="CPU")
    simulation.context.setState(openmm.XmlSerializer.deserialize(ice_run.state.read_text()))
    simulation.step(STEPS)
    return simulation.context.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)


def test_biased_dynamics_equal_the_full_cvs(ice_run, fixed_cv) -> None:
    full, fixed = _biased_positions(ice_run, ice_run.cv), _biased_positions(ice_run, fixed_cv)
    moved = np.abs(full - _biased_positions(ice_run, None)).max()
    assert moved > 1e-3, "the bias should move the atoms (else this test cannot fail)"
    np.testing.assert_allclose(fixed, full, rtol=0.0, atol=1e-3 * moved)


def test_metad_runs_with_a_fixed_bond_cv(ice_run, fixed_cv, tmp_path) -> None:
    """``latentcv metad`` accepts the fixed-bond CV on rigid water, and its hills grow the bias."""
    config = replace(ice_run.config(tmp_path / "run", 8, pace=4), cv=str(fixed_cv))
    files = run_metad(config, progress=False)
    assert np.load(files.bias).sum() > 0
