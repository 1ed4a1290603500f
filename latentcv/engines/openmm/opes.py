"""OPES and OPES-explore (the ``openmm-opes`` package) behind the interface ``latentcv metad``
drives, so that one command runs either sampler with the same outputs, checkpoints and walkers.

On-the-fly probability enhanced sampling (Invernizzi and Parrinello, J. Phys. Chem. Lett. 11,
2731, 2020) builds the bias from a kernel estimate of the CV's probability, deposited every
``pace`` steps, instead of from hills:

    V(s) = (1 − 1/γ) kT log(P(s)/Z + ε),   ε = exp(−β Δ E / (1 − 1/γ))

with ΔE the ``barrier`` the run is meant to cross and γ the bias factor; OPES-explore (J. Chem.
Theory Comput. 18, 3988, 2022) estimates the sampled, not the reweighted, probability and explores
faster at the cost of a noisier free energy. The bias soon stops changing, so the free energy,
−kT log P(s) from the reweighted estimate, converges quickly. ``openmm_opes.OPES`` implements it
after ``openmm.app.Metadynamics``; :class:`ResumableOPES` only maps latentcv's settings onto it
and its state onto latentcv's checkpoints. Its force stores V + ΔE, so that colvar.csv's
``bias_kJ_mol`` is 0 where nothing has been deposited, as for metadynamics.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import openmm
import torch
from openmm import app, unit
from openmm.app import BiasVariable
from openmm_opes import OPES
from openmm_opes.io import FILENAME_PATTERN

from latentcv.errors import InputError


class ResumableOPES:
    """``openmm_opes.OPES`` with the methods of :class:`latentcv.engines.openmm.bias.ResumableMetadynamics`.

    Parameters
    ----------
    system : openmm.System
        The System; the bias (a CustomCVForce over the variables) is added in the highest free force group.
    variables : list of BiasVariable
        1 to 3 collective variables; each ``biasWidth`` is the kernels' initial width σ₀ (CV units),
        as OPES defines it: the CV's fluctuation in the unbiased basin.
    temperature : float
        K.
    barrier : float
        ΔE, kJ/mol: the free-energy barrier the run should cross.
    pace : int
        Integrator steps between kernels.
    bias_factor : float
        γ, > 1.
    explore : bool
        OPES-explore instead of OPES.
    walkers_dir : path, optional
        Shared folder of multiple walkers; kernels are shared there at every deposition.
    walker_id : int, optional
        This walker's id (its files are ``kde_<id>_<index>.npz``); required with ``walkers_dir``.
    """

    def __init__(
        self,
        system: openmm.System,
        variables: list[BiasVariable],
        temperature: float,
        barrier: float,
        pace: int,
        bias_factor: float,
        explore: bool,
        walkers_dir: str | os.PathLike[str] | None = None,
        walker_id: int | None = None,
    ) -> None:
        if walkers_dir is not None and walker_id is None:
            raise InputError("a walker in a walkers folder needs an id (--walker-id)")
        free = set(range(32)) - {force.getForceGroup() for force in system.getForces()}
        if not free:
            raise InputError("the System uses all 32 force groups: none is left for the OPES bias")
        self._group = max(free)  # where OPES puts its force
        self.variables = variables
        self.walkers_dir, self.walker_id = walkers_dir, walker_id
        self.sampler = OPES(
            system, variables, temperature * unit.kelvin, barrier * unit.kilojoule_per_mole, pace,
            varianceFrequency=None, biasFactor=bias_factor, exploreMode=explore,
            saveFrequency=pace if walkers_dir is not None else None,
            biasDir=str(walkers_dir) if walkers_dir is not None else None, walkerId=walker_id,
        )

    @property
    def bias_group(self) -> int:
        """Force group of the bias (the integrator's slow group under multiple time stepping)."""
        return self._group

    def own_bias_files(self) -> list[Path]:
        """Files of this walker's id in the walkers folder (none without one)."""
        if self.walkers_dir is None:
            return []
        return sorted(p for p in Path(self.walkers_dir).iterdir()
                      if (match := FILENAME_PATTERN.fullmatch(p.name)) and int(match.group(1)) == self.walker_id)

    def bias_state(self) -> dict[str, torch.Tensor]:
        """The sampler's state (``OPES.getState``: kernels, variances, counters) for a checkpoint."""
        return {name: torch.from_numpy(np.array(value, dtype=np.float64)) for name, value in
                self.sampler.getState().items()}

    def restore(self, state: dict[str, torch.Tensor]) -> None:
        """Put back a :meth:`bias_state` (in effect after :meth:`apply_bias`)."""
        try:
            self.sampler.setState({name: value.numpy() for name, value in state.items()})
        except (KeyError, ValueError) as err:
            raise InputError(f"the checkpoint's bias is not this run's OPES state: {err}") from None

    def bias_grid(self) -> np.ndarray:
        """The bias V (kJ/mol, at least −ΔE, its floor where nothing was deposited) on the grid,
        axis k along variable k."""
        return np.transpose(self.sampler.getBias().value_in_unit(unit.kilojoule_per_mole))

    def free_energy_grid(self) -> np.ndarray:
        """The reweighted free-energy estimate (kJ/mol) on the grid, axis k along variable k;
        NaN before the first kernel."""
        return np.transpose(np.asarray(self.sampler.getFreeEnergy().value_in_unit(unit.kilojoule_per_mole)))

    def grid_axes(self) -> list[np.ndarray]:
        """CV values of the grid points of each variable."""
        return [np.linspace(v.minValue, v.maxValue, v.gridWidth) for v in self.variables]

    def apply_bias(self, context: openmm.Context) -> None:
        """Load the current bias into the Context."""
        self.sampler.updateContext(context)

    def step(self, simulation: app.Simulation, steps: int) -> None:
        """Run ``steps`` integrator steps, depositing kernels every ``pace``."""
        self.sampler.step(simulation, steps)

    def getCollectiveVariables(self, simulation: app.Simulation) -> tuple[float, ...]:  # noqa: N802 (OpenMM's name)
        """The biased CVs' values in the simulation's current state."""
        return tuple(self.sampler.getCollectiveVariables(simulation))
