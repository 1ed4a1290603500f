"""The OpenMM adapter around a CV module: what openmm-torch's ``TorchForce`` calls.

A CV module maps ``(positions[n, 3], boxvectors[3, 3])`` in nm to a tensor of CV values of shape
``[n_cv]`` (or a 0-d scalar). :class:`OpenMMCV` changes only the calling convention, never the
physics: every particle of the System goes in (virtual sites included), one scalar comes out. Its
PLUMED counterpart is :class:`latentcv.engines.plumed.adapter.PlumedCV`.
"""

from __future__ import annotations

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

    def forward(self, positions: Tensor, boxvectors: Tensor | None = None) -> Tensor:
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
