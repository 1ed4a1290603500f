"""Thin engine adapters around a CV module.

A CV module maps ``(positions[n, 3], boxvectors[3, 3])`` in nm to a tensor of CV values of shape
``[n_cv]`` (or a 0-d scalar). The adapters change only the calling convention, never the physics:

- :class:`OpenMMCV` is what openmm-torch's ``TorchForce`` calls: every particle of the System goes
  in (virtual sites included), one scalar comes out.
- :class:`PlumedCV` is what PLUMED's ``PYTORCH_MODEL`` calls: one float32 row holding the selected
  atoms' positions and then the box.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor


class OpenMMCV(torch.nn.Module):
    """Adapter for ``openmmtorch.TorchForce``.

    Parameters
    ----------
    cv : torch.nn.Module
        ``forward(positions[n, 3], boxvectors[3, 3]) -> Tensor[n_cv]`` (or 0-d), in nm.
    atoms : list of int
        Indices, into the OpenMM System's particles, of the n atoms the CV uses, in the CV's order.
    n_particles : int
        Number of particles of the System the module is made for; other counts are refused.
    component : int
        Which CV component to return.
    dtype : torch.dtype
        Precision the CV is evaluated in; inputs are cast to it, the output back to the input's.
    """

    def __init__(
        self,
        cv: torch.nn.Module,
        atoms: list[int],
        n_particles: int,
        component: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.cv = cv
        self.register_buffer("atoms", torch.tensor(atoms, dtype=torch.long))
        self.n_particles = n_particles
        self.component = component
        self.dtype = dtype

    def forward(self, positions: Tensor, boxvectors: Optional[Tensor] = None) -> Tensor:
        """CV component in the dtype and on the device of ``positions``.

        Parameters
        ----------
        positions : Tensor[N, 3]
            Every particle of the System, nm.
        boxvectors : Tensor[3, 3], optional
            Periodic box vectors as rows, nm. Required: the CV is periodic.
        """
        if positions.shape[0] != self.n_particles:
            raise RuntimeError(
                f"this CV was exported for {self.n_particles} particles, the System has {positions.shape[0]}"
            )
        if boxvectors is None:
            raise RuntimeError("this CV needs periodic box vectors: call setUsesPeriodicBoundaryConditions(True)")
        x = positions.index_select(0, self.atoms.to(positions.device)).to(self.dtype)
        value = self.cv(x, boxvectors.to(self.dtype)).reshape(-1)[self.component]
        return value.to(positions.dtype)


class PlumedCV(torch.nn.Module):
    """Adapter for PLUMED's ``PYTORCH_MODEL``.

    ``forward(x[1, 3 n + 9]) -> [1, n_cv]``, float32 in and out, where ``x`` holds the n atoms'
    positions (x, y, z per atom, nm) and then the box (ax ay az bx by bz cx cy cz, nm), which is how
    :func:`latentcv.md.plumed_input.pytorch_model_lines` passes them.

    When PLUMED loads a model it calls it once on an all-zero row to count its outputs; a CV is
    undefined there (no box), so that one input gives zeros of the right shape. Any other input,
    a zero box with nonzero positions included, goes to the CV.

    Parameters
    ----------
    cv : torch.nn.Module
        ``forward(positions[n, 3], boxvectors[3, 3]) -> Tensor[n_cv]`` (or 0-d), in nm.
    n_outputs : int
        n_cv, the number of CV components.
    dtype : torch.dtype
        Precision the CV is evaluated in.
    """

    def __init__(self, cv: torch.nn.Module, n_outputs: int = 1, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.cv = cv
        self.n_outputs = n_outputs
        self.dtype = dtype

    def forward(self, x: Tensor) -> Tensor:
        flat = x.reshape(-1).to(self.dtype)
        if not bool(torch.any(flat != 0)):
            return torch.zeros(1, self.n_outputs, dtype=torch.float32, device=x.device)
        n = (flat.shape[0] - 9) // 3
        positions = flat[: 3 * n].reshape(n, 3)
        box = flat[3 * n :].reshape(3, 3)
        return self.cv(positions, box).reshape(1, self.n_outputs).to(torch.float32)
