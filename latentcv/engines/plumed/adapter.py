"""The PLUMED adapter around a CV module: what PLUMED's ``PYTORCH_MODEL`` calls.

A CV module maps ``(positions[n, 3], boxvectors[3, 3])`` in nm to a tensor of CV values of shape
``[n_cv]`` (or a 0-d scalar). :class:`PlumedCV` changes only the calling convention, never the
physics: one float32 row holding the selected atoms' positions and then the box goes in. Its
OpenMM counterpart is :class:`latentcv.engines.openmm.adapter.OpenMMCV`.
"""

from __future__ import annotations

import torch
from torch import Tensor


class PlumedCV(torch.nn.Module):
    """Adapter for PLUMED's ``PYTORCH_MODEL``.

    ``forward(x[1, 3 n + 9]) -> [1, n_cv]``, float32 in and out, where ``x`` holds the n atoms'
    positions (x, y, z per atom, nm) and then the box (ax ay az bx by bz cx cy cz, nm), which is how
    :func:`latentcv.engines.plumed.input.pytorch_model_lines` passes them.

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
