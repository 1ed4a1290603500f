"""Integrators of metadynamics runs: Langevin at 2 fs, or multiple time stepping with the bias slow.

With ``mts = K``, ``openmm.MTSLangevinIntegrator`` takes outer steps of K × 2 fs: the bias force
group (the metadynamics CustomCVForce, which evaluates the CV's TorchForces) once per outer step,
every other force group K times with 2 fs. The CV's forward and backward pass, the expensive part,
then runs once per K × 2 fs.

When it is safe: the bias force must vary slowly compared with the time between its evaluations.
A bias built from Gaussians of width σ on a CV that moves on the time scale of molecular
reorientation and diffusion (≥ 100 fs here) changes little over K × 2 fs for K ≤ 4 (8 fs), which
is well below that time scale and below the resonance limit of impulse MTS (about a third of the
shortest period of the slow force). Larger K, very narrow Gaussians (σ much smaller than the CV's
fluctuation in 10 fs), tall hills or a CV that reacts to fast O-H librations make the impulses
large and heat the system: check ``log.csv`` (temperature) and compare a short run with and
without ``--mts`` before production.

Measured (``tests/md/test_metad.py``, 288 TIP4P/Ice molecules, a bias of hills 0.005 wide on an
untrained CV): in NVE with the same splitting (``openmm.MTSIntegrator``, K = 4 around 1 fs inner
steps) the bias's impulses added 0.03 kJ/mol to the 40 kJ/mol energy spread that the RESPA
integrator shows over 100 fs without any bias; that spread itself, about 4 times plain velocity
Verlet's at the inner step, is RESPA's own with this rigid (constrained) water model, not the
bias's; in real runs the Langevin thermostat of ``MTSLangevinIntegrator`` absorbs it.
"""

from __future__ import annotations

import openmm
from openmm import unit

from latentcv.md.engine import FRICTION_PER_PS, TIMESTEP_PS


def make_integrator(system: openmm.System, temperature_k: float, seed: int, mts: int, slow_group: int) -> openmm.Integrator:
    """A Langevin integrator at 2 fs (``mts = 1``) or an MTS one with ``slow_group`` every ``mts`` steps.

    Parameters
    ----------
    system : openmm.System
        The System with its bias force (to find the force groups in use).
    temperature_k : float
        K.
    seed : int
        Random number seed.
    mts : int
        Inner steps per outer step.
    slow_group : int
        Force group evaluated once per outer step (the bias).
    """
    temperature, friction = temperature_k * unit.kelvin, FRICTION_PER_PS / unit.picosecond
    if mts == 1:
        integrator = openmm.LangevinMiddleIntegrator(temperature, friction, TIMESTEP_PS * unit.picosecond)
    else:
        fast = sorted({force.getForceGroup() for force in system.getForces()} - {slow_group})
        groups = [(slow_group, 1)] + [(group, mts) for group in fast]
        integrator = openmm.MTSLangevinIntegrator(temperature, friction, mts * TIMESTEP_PS * unit.picosecond, groups)
    integrator.setRandomNumberSeed(seed)
    return integrator
