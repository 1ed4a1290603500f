"""Multiple time stepping with the bias slow: impulses of the bias every K steps of a leapfrog
integrator (:class:`ImpulseMTSIntegrator`, whose docstring gives the scheme, the barostat handling
and when it is safe)."""

from __future__ import annotations

from collections.abc import Iterable

import openmm
from openmm import unit

from latentcv.engines.openmm.simulation import barostats, langevin_integrator

#: Number of force groups an OpenMM System can use.
N_GROUPS = 32


def barostat_intervals(system: openmm.System) -> list[int]:
    """Steps between moves of each active Monte Carlo barostat of ``system``."""
    return [force.getFrequency() for force in barostats(system) if force.getFrequency() > 0]


class ImpulseMTSIntegrator(openmm.CompoundIntegrator):
    """A leapfrog integrator for the fast forces and impulses of the slow group every ``mts`` steps.

    With ``mts = K`` the slow force group (the metadynamics ``CustomCVForce``, which evaluates the
    CV's TorchForces) acts once every K steps of Δt = 2 fs as an impulse of K steps' worth, and
    every other force group acts at every step. The CV's forward and backward pass, the expensive
    part, then runs once per K Δt.

    **Scheme.** This is an ``openmm.CompoundIntegrator`` of two integrators on one Context. The
    leapfrog integrator ``fast`` (``LangevinMiddleIntegrator`` in runs, ``VerletIntegrator`` in the
    energy tests) takes every step with the fast groups only (``setIntegrationForceGroups``), and a
    one-line ``CustomIntegrator`` adds the impulse

        v ← v + K Δt f_slow / m

    right before the first step of each cycle of K. In the leapfrog form (v at half steps,
    v_{n+1/2} = v_{n−1/2} + Δt F(x_n) / m, which ``LangevinMiddleIntegrator`` follows before its
    position and friction parts) this is exactly impulse r-RESPA: the two half-kicks of the slow
    force at the ends of an outer step merge into one kick of K Δt at the outer step's boundaries.
    ``openmm.MTSLangevinIntegrator`` is not used: it is a ``CustomIntegrator``, which the CPU platform
    runs step by step through its general expression machinery, at a cost per step that eats much
    of what skipping the bias saves; here the CustomIntegrator runs once per cycle for one
    per-particle line.

    **Barostats.** A Monte Carlo barostat computes the energy of the *integration* force groups of
    the integrator that is stepping (checked with OpenMM 8.5: a force left out of them does not
    change the volume moves at all). A barostat move during a fast-only step would not see the
    bias, which samples the wrong volume distribution for a CV that depends on the density. The
    barostat counts the steps since the Context was created and moves every ``frequency``-th; this
    integrator counts the same steps, takes those steps with every force group (the bias acting
    once with weight 1) and gives that cycle's impulse weight K − 1 instead of K. Each barostat move
    thus costs one more bias evaluation (K = 4, moves every 25 steps: 29 instead of 25 per 100
    steps) besides the two of its own energies, and the volume moves see the full biased energy
    (``latentcv metad --barostat-interval`` makes moves rarer). Keep the counts aligned: do not
    ``reinitialize`` the Context (that restarts the barostat's count) without making a new
    integrator. The barostat draws its random numbers from OpenMM's shared generator, which the
    CustomIntegrator uses too, so the volume moves differ from those of a run without MTS, as
    different seeds would.

    **When it is safe.** The bias force must change little between impulses. How fast it changes
    depends on the hills' width and height and on how steep the CV is, so check ``log.csv``
    (temperature) and compare a short run with and without ``--mts`` before production;
    ``tests/engines/openmm/test_mts.py`` measures the NVE energy spread against the same integrator
    without the bias. K = 4 is a reasonable default with hills as wide as the CV's suggested width;
    K = 8 heats with both shipped CVs; narrower hills, or a steeper CV, need a smaller K. With
    Langevin dynamics the thermostat absorbs some of the error, which then shows as a raised
    temperature rather than as energy drift.

    ``step(n)`` takes n steps of the fast integrator (its step size; Simulation's step count and
    time advance by n steps, as with the fast integrator alone).

    Parameters
    ----------
    fast : openmm.Integrator
        A leapfrog integrator (``LangevinMiddleIntegrator``, ``VerletIntegrator``); its integration
        force groups are set here.
    slow_group : int
        Force group applied as impulses (the bias).
    mts : int
        Steps per impulse, ≥ 1.
    barostat_every : iterable of int
        Steps between the System's barostat moves (:func:`barostat_intervals`); those steps see
        every force group.

    References
    ----------
    M. Tuckerman, B. J. Berne and G. J. Martyna, "Reversible multiple time scale molecular
    dynamics", J. Chem. Phys. 97, 1990 (1992) (r-RESPA). H. Grubmüller, H. Heller, A. Windemuth and
    K. Schulten, "Generalized Verlet algorithm for efficient molecular dynamics simulations with
    long-range interactions", Mol. Simul. 6, 121 (1991) (the impulse form).
    """

    def __init__(self, fast: openmm.Integrator, slow_group: int, mts: int, barostat_every: Iterable[int] = ()) -> None:
        super().__init__()
        if mts < 1:
            raise ValueError(f"mts must be at least 1, got {mts}")
        self.mts = mts
        self.barostat_every = sorted(set(barostat_every))
        self._all = set(range(N_GROUPS))
        self._fast_groups = self._all - {slow_group}
        self._fast = fast
        self._fast.setIntegrationForceGroups(self._fast_groups)
        self._kick = openmm.CustomIntegrator(0.0)  # step size 0: the impulse does not advance the time
        self._kick.addGlobalVariable("weight", float(mts))
        self._kick.addGlobalVariable("tau", fast.getStepSize().value_in_unit(unit.picosecond))
        self._kick.addComputePerDof("v", f"v + weight*tau*f{slow_group}/m")
        if hasattr(fast, "getRandomNumberSeed"):  # the Reference platform reseeds one shared generator
            self._kick.setRandomNumberSeed(fast.getRandomNumberSeed())
        self.addIntegrator(self._fast)
        self.addIntegrator(self._kick)
        self.setCurrentIntegrator(0)
        #: Fast-integrator steps since the Context was created (the barostats count the same).
        self.steps_taken = 0
        self._context: openmm.Context | None = None

    def bind(self, context: openmm.Context) -> None:
        """Give the integrator its Context (the impulses count as steps in OpenMM; :meth:`step` sets
        the step count back). Call once the Simulation or Context is made."""
        self._context = context

    def full_step(self, step: int) -> bool:
        """Whether fast step number ``step`` (1-based since the Context was created) is a barostat move."""
        return any(step % every == 0 for every in self.barostat_every)

    def step(self, steps: int) -> None:
        """Advance by ``steps`` fast steps, with an impulse before the first step of every cycle."""
        if self._context is None:
            raise RuntimeError("ImpulseMTSIntegrator.step before bind(context)")
        start = self._context.getStepCount()
        done = 0
        while done < steps:
            step = self.steps_taken + 1  # 1-based number of the next fast step
            if (step - 1) % self.mts == 0:
                self._impulse(step)
            if self.full_step(step):
                self._fast.setIntegrationForceGroups(self._all)
                self._fast.step(1)
                self._fast.setIntegrationForceGroups(self._fast_groups)
                run = 1
            else:
                run = self._fast_run(step, steps - done)
                self._fast.step(run)
            self.steps_taken += run
            done += run
        self._context.setStepCount(start + steps)

    def _fast_run(self, step: int, most: int) -> int:
        """How many fast-only steps follow from ``step`` on, up to the cycle's end and ``most``."""
        run = 1
        while run < most and (step + run - 1) % self.mts and not self.full_step(step + run):
            run += 1
        return run

    def _impulse(self, first: int) -> None:
        """The slow group's impulse for the cycle of fast steps ``first .. first + mts - 1``: weight
        ``mts`` less the steps of that cycle which see every group."""
        weight = self.mts - sum(self.full_step(s) for s in range(first, first + self.mts))
        if weight > 0:
            self._kick.setGlobalVariableByName("weight", float(weight))
            self.setCurrentIntegrator(1)
            self._kick.step(1)
            self.setCurrentIntegrator(0)


def make_integrator(
    system: openmm.System, temperature_k: float, seed: int, mts: int, slow_group: int
) -> openmm.Integrator:
    """A Langevin integrator at 2 fs (``mts = 1``) or one with impulses of ``slow_group`` every ``mts`` steps.

    Parameters
    ----------
    system : openmm.System
        The System with its bias force and barostat, if any (for the barostat's interval).
    temperature_k : float
        K.
    seed : int
        Random number seed.
    mts : int
        Steps of 2 fs per impulse of the slow group.
    slow_group : int
        Force group applied as impulses (the bias).

    Returns
    -------
    openmm.Integrator
        ``LangevinMiddleIntegrator``, or an :class:`ImpulseMTSIntegrator` around one
        (:func:`latentcv.engines.openmm.simulation.make_simulation` binds it to its Context).
    """
    integrator = langevin_integrator(temperature_k, seed)
    if mts == 1:
        return integrator
    return ImpulseMTSIntegrator(integrator, slow_group, mts, barostat_intervals(system))
