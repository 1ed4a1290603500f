"""Well-tempered metadynamics whose bias survives restarts: ``openmm.app.Metadynamics`` plus
checkpointing of its bias and a fixed walker id.

OpenMM's class keeps its state in ``_selfBias`` (the hills this process added), ``_totalBias``
(those plus the other walkers' biases, what the tabulated force uses), ``_saveIndex`` and ``_id``
(the name ``bias_<id>_<index>.npy`` of this walker's file in ``biasDir``), and ``_loadedBiases``
(the other walkers' files it has read). :class:`ResumableMetadynamics` adds nothing to the physics:
it reads and writes that state, and gives the walker an id of the user's choice so that a resumed
walker owns its old file instead of leaving it behind as a stranger's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import openmm
import torch
from openmm.app import BiasVariable, Metadynamics

from latentcv.errors import InputError


class ResumableMetadynamics(Metadynamics):
    """``openmm.app.Metadynamics`` with :meth:`bias_state` / :meth:`restore` and named walkers.

    Parameters
    ----------
    system : openmm.System
        The System; the bias force (a CustomCVForce over the variables) is added to it in the
        highest free force group (31 when the System uses group 0 only).
    variables : list of BiasVariable
        1 to 3 collective variables.
    temperature : float
        K.
    bias_factor : float
        Well-tempered bias factor γ = (T + ΔT) / T, > 1.
    height : float
        Initial Gaussian height, kJ/mol.
    pace : int
        Integrator steps between hills.
    walkers_dir : path, optional
        Shared folder of multiple walkers; this walker writes its hills there, and reads the other
        walkers' files, at every hill.
    walker_id : int, optional
        This walker's id (its file is ``bias_<id>_<index>.npy``); required with ``walkers_dir``.
    """

    def __init__(
        self,
        system: openmm.System,
        variables: list[BiasVariable],
        temperature: float,
        bias_factor: float,
        height: float,
        pace: int,
        walkers_dir: str | os.PathLike[str] | None = None,
        walker_id: int | None = None,
    ) -> None:
        super().__init__(system, variables, temperature, bias_factor, height, pace)
        if walkers_dir is not None:
            if walker_id is None:
                raise InputError("a walker in a walkers folder needs an id (--walker-id)")
            self._id = int(walker_id)
            self.biasDir = str(walkers_dir)
            self.saveFrequency = pace

    @property
    def bias_group(self) -> int:
        """Force group of the bias (the integrator's slow group under multiple time stepping)."""
        return self._force.getForceGroup()

    def own_bias_files(self) -> list[Path]:
        """Files of this walker's id in the walkers folder (none without a walkers folder)."""
        if self.biasDir is None:
            return []
        pattern = re.compile(rf"bias_{self._id}_\d+\.npy$")
        return sorted(p for p in Path(self.biasDir).iterdir() if pattern.match(p.name))

    def join_walkers(self) -> None:
        """Write this walker's bias to the walkers folder and add the other walkers' biases (in
        effect after :meth:`apply_bias`)."""
        self._syncWithDisk()

    def bias_state(self) -> dict[str, torch.Tensor | int]:
        """The bias for a checkpoint: own hills, total bias (kJ/mol, grid shape) and file index."""
        return {
            "self_bias": torch.from_numpy(self._selfBias.copy()),
            "total_bias": torch.from_numpy(self._totalBias.copy()),
            "save_index": self._saveIndex,
        }

    def restore(self, state: dict[str, torch.Tensor | int]) -> None:
        """Put back a :meth:`bias_state` (in effect after :meth:`apply_bias`).

        Raises
        ------
        InputError
            When the grid differs (other variables, widths or ranges than the checkpoint's).
        """
        self_bias = state["self_bias"].numpy()
        if self_bias.shape != self._selfBias.shape:
            raise InputError(f"the checkpoint's bias grid is {self_bias.shape}, this run's is {self._selfBias.shape}")
        self._selfBias = self_bias.copy()
        self._totalBias = state["total_bias"].numpy().copy()
        self._saveIndex = int(state["save_index"])

    def bias_grid(self) -> np.ndarray:
        """The total bias (kJ/mol) on the grid, axis k along variable k."""
        return np.transpose(self._totalBias)

    def free_energy_grid(self) -> np.ndarray:
        """``getFreeEnergy()`` (kJ/mol, −(T + ΔT)/ΔT × bias), axis k along variable k."""
        return np.transpose(self.getFreeEnergy().value_in_unit(openmm.unit.kilojoule_per_mole))

    def grid_axes(self) -> list[np.ndarray]:
        """CV values of the grid points of each variable (what the bias table interpolates)."""
        return [np.linspace(v.minValue, v.maxValue, v.gridWidth) for v in self.variables]

    def apply_bias(self, context: openmm.Context) -> None:
        """Load the total bias into the tabulated force and the Context, as ``_addGaussian`` does
        after a hill (the same path, so that a restored run continues bit for bit)."""
        values = self._totalBias.flatten()
        if len(self.variables) == 1:
            self._table.setFunctionParameters(values, *self._limits)
        else:
            self._table.setFunctionParameters(*self._widths, values, *self._limits)
        self._force.updateParametersInContext(context)
