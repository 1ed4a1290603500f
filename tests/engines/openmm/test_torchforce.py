"""openmm-torch TorchForce with the pinned stack, on the Reference and CPU platforms.

Energies and forces from OpenMM must equal PyTorch autograd on the same module. Tolerance: 1e-9
relative on both platforms (the module computes in float64 and OpenMM passes float64 positions on
Reference and CPU; anything looser would hide a precision bug in the glue).
"""

from __future__ import annotations

import numpy as np
import openmm
import openmm.app
import pytest
import torch
from openmm import unit

from latentcv.engines.openmm.adapter import OpenMMCV
from latentcv.engines.openmm.forces import evaluate_forces
from latentcv.engines.openmm.torchforce import make_torch_force
from latentcv.engines.probe import probe_configuration, probe_reference
from latentcv.engines.probe import LatticeProbe

RTOL = 1e-9
PLATFORMS = ["Reference", "CPU"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("inside_cv_force", [False, True])
def test_torchforce_matches_autograd(platform: str, periodic: bool, inside_cv_force: bool) -> None:
    positions, box = probe_configuration(seed=3, n=7)
    force = make_torch_force(LatticeProbe(k=1.7, length=0.9), periodic=periodic)
    scale = 1.0
    if inside_cv_force:
        cv = openmm.CustomCVForce("3*s")
        cv.addCollectiveVariable("s", force)
        force, scale = cv, 3.0
    energy, forces = evaluate_forces([force], positions, box if periodic else None, platform=platform)
    x = torch.tensor(positions, requires_grad=True)
    e_ref = LatticeProbe(k=1.7, length=0.9)(x, torch.tensor(box) if periodic else None)
    (g,) = torch.autograd.grad(e_ref, x)
    assert energy == pytest.approx(scale * e_ref.item(), rel=RTOL)
    np.testing.assert_allclose(forces, -scale * g.numpy(), rtol=RTOL, atol=RTOL * np.abs(g.numpy()).max())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_modules_take_both_precisions(dtype: torch.dtype) -> None:
    """Reference/CPU pass float64, CUDA mixed precision passes float32: the output follows the input."""
    positions, box = probe_configuration(seed=1, n=5)
    probe = torch.jit.script(LatticeProbe())
    adapter = torch.jit.script(OpenMMCV(LatticeProbe(), atoms=[4, 0, 2], n_particles=5, dtype=torch.float64))
    x, b = torch.tensor(positions, dtype=dtype), torch.tensor(box, dtype=dtype)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    ref, _ = probe_reference(positions, box)
    assert probe(x, b).dtype == dtype
    assert probe(x, b).item() == pytest.approx(ref, rel=tol)
    sub_ref, _ = probe_reference(positions[[4, 0, 2]], box)
    out = adapter(x, b)
    assert out.dtype == dtype and out.dim() == 0
    assert out.item() == pytest.approx(sub_ref, rel=tol)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_adapter_in_openmm_uses_only_its_atoms(platform: str) -> None:
    positions, box = probe_configuration(seed=2, n=6)
    atoms = [5, 1, 3]
    force = make_torch_force(OpenMMCV(LatticeProbe(), atoms=atoms, n_particles=6, dtype=torch.float64))
    energy, forces = evaluate_forces([force], positions, box, platform=platform)
    ref_e, ref_f = probe_reference(positions[atoms], box)
    assert energy == pytest.approx(ref_e, rel=RTOL)
    np.testing.assert_allclose(forces[atoms], ref_f, rtol=RTOL, atol=1e-12)
    np.testing.assert_array_equal(forces[[0, 2, 4]], 0.0)


def test_adapter_refuses_another_particle_count() -> None:
    positions, box = probe_configuration(seed=2, n=6)
    force = make_torch_force(OpenMMCV(LatticeProbe(), atoms=[0, 1], n_particles=4))
    with pytest.raises(openmm.OpenMMException, match="exported for 4 particles, the System has 6"):
        evaluate_forces([force], positions, box, platform="Reference")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_metadynamics_with_torchforce_cv(platform: str, tmp_path) -> None:
    """A few steps of openmm.app.Metadynamics with a TorchForce BiasVariable (the openmm pin's
    regression test: with openmm 8.6.x this path segfaults)."""
    positions, box = probe_configuration(seed=4, n=8)
    system = openmm.System()
    for _ in positions:
        system.addParticle(12.0)
    system.setDefaultPeriodicBoxVectors(*(openmm.Vec3(*row) for row in box))
    cv_force = make_torch_force(LatticeProbe(), periodic=True)
    bias_var = openmm.app.BiasVariable(cv_force, -24.0, 24.0, 0.5, gridWidth=97)
    meta = openmm.app.Metadynamics(system, [bias_var], 300.0, 5.0, 1.0, 10, saveFrequency=20,
                                   biasDir=str(tmp_path))
    integrator = openmm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, 0.002 * unit.picosecond)
    integrator.setRandomNumberSeed(7)
    topology = openmm.app.Topology()
    chain = topology.addChain()
    for _ in positions:
        topology.addAtom("C", openmm.app.element.carbon, topology.addResidue("C", chain))
    sim = openmm.app.Simulation(topology, system, integrator, openmm.Platform.getPlatformByName(platform))
    sim.context.setPositions(positions * unit.nanometer)
    meta.step(sim, 60)
    cv_now = meta.getCollectiveVariables(sim)[0]
    state_pos = sim.context.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
    ref, _ = probe_reference(np.asarray(state_pos), box)
    assert cv_now == pytest.approx(ref, rel=1e-9)
    fes = meta.getFreeEnergy().value_in_unit(unit.kilojoule_per_mole)
    assert np.all(np.isfinite(fes))
    assert np.ptp(fes) > 0.5, "six hills of 1 kJ/mol should have built up a visible bias"
    assert list(tmp_path.glob("bias_*.npy")), "Metadynamics should have saved its bias to biasDir"
