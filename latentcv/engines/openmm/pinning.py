"""The interface-pinning bias in OpenMM: a harmonic spring on one CV component."""

from __future__ import annotations

import os

import openmm
from openmm import app

from latentcv.engines.openmm.cv_force import torch_force
from latentcv.errors import InputError


class HarmonicPin:
    """Interface pinning: the bias U(Q) = ½ κ (Q − A)² on one component Q of an exported CV.

    Pedersen's interface pinning (J. Chem. Phys. 139, 104102, 2013) holds a crystal–melt slab at a
    chosen amount of crystal A with a harmonic spring on an order parameter Q that counts crystal
    molecules. Across the range where the slab has two flat interfaces the free energy is linear in
    Q, F(Q) = F₀ + Δμ Q, with Δμ = μ_crystal − μ_melt per molecule; the spring's minimum then moves
    by Δμ/κ, so that the mean bias force gives the chemical-potential difference:

        Δμ = κ (A − ⟨Q⟩)

    negative below the melting point (the crystal grows against the spring, ⟨Q⟩ > A).
    :func:`latentcv.engines.pinning.pinning_estimate` computes it from a run's colvar.

    The bias is a ``CustomCVForce`` over the component's openmm-torch ``TorchForce``, added to the
    System in its highest free force group, as ``openmm.app.Metadynamics`` does with its bias; the
    spring's parameters are the global parameters ``pin_kappa`` and ``pin_target``.

    Parameters
    ----------
    system : openmm.System
        The System; the bias force is added to it.
    cv_dir : path
        Exported CV folder (``latentcv export``).
    component : int
        CV component Q (``openmm_cv<component>.pt``).
    target : float
        A, CV units (molecules for ``crystal_count``).
    kappa : float
        κ, kJ/mol per CV unit squared.

    Examples
    --------
    >>> pin = HarmonicPin(system, "cv", component=2, target=288.0, kappa=0.05)  # doctest: +SKIP
    >>> simulation = app.Simulation(topology, system, integrator)  # doctest: +SKIP
    >>> simulation.step(5000)  # doctest: +SKIP
    >>> pin.getCollectiveVariables(simulation)  # doctest: +SKIP
    (291.3,)
    """

    def __init__(self, system: openmm.System, cv_dir: str | os.PathLike[str], component: int, target: float,
                 kappa: float) -> None:
        if not kappa > 0:
            raise InputError(f"the spring constant kappa must be positive, got {kappa}")
        self.target, self.kappa = float(target), float(kappa)
        self._force = openmm.CustomCVForce("0.5*pin_kappa*(Q - pin_target)^2")
        self._force.addGlobalParameter("pin_kappa", self.kappa)
        self._force.addGlobalParameter("pin_target", self.target)
        self._force.addCollectiveVariable("Q", torch_force(cv_dir, component))
        free = set(range(32)) - {force.getForceGroup() for force in system.getForces()}
        if not free:
            raise InputError("the System uses all 32 force groups: none is left for the pinning bias")
        self._force.setForceGroup(max(free))
        system.addForce(self._force)

    @property
    def bias_group(self) -> int:
        """Force group of the bias."""
        return self._force.getForceGroup()

    def set_target(self, simulation: app.Simulation, target: float) -> None:
        """Move the spring's centre A to ``target`` (CV units) in the simulation's context."""
        self.target = float(target)
        simulation.context.setParameter("pin_target", self.target)

    def getCollectiveVariables(self, simulation: app.Simulation) -> tuple[float, ...]:  # noqa: N802 (OpenMM's name)
        """(Q,) in the simulation's current state, CV units."""
        return tuple(self._force.getCollectiveVariableValues(simulation.context))
