"""Pooling of each molecule's atoms into one node.

Every pooling module has the same call: ``forward(h[Na, d], atom_mol[Na], n_mol, species[n_mol],
bonds[2, Nb]) -> (nodes[n_mol, d], aux_loss)``, where atoms and molecules of several frames may be
stacked (``atom_mol`` and ``bonds`` then carry per-frame offsets), and ``aux_loss`` is a scalar that
training adds to its loss (0 for poolings without one).
"""

from __future__ import annotations

import torch

from latentcv.nn.pooling.diffpool import DiffPooling
from latentcv.nn.pooling.mean import MeanPooling
from latentcv.nn.pooling.seeds import SeedAttentionPooling

POOLINGS = ("seeds", "diffpool", "mean")


def make_pooling(kind: str, dim: int, **options: int | float) -> torch.nn.Module:
    """A pooling module by name (``seeds``, ``diffpool`` or ``mean``) with its options."""
    if kind == "seeds":
        return SeedAttentionPooling(dim, **options)  # type: ignore[arg-type]
    if kind == "diffpool":
        return DiffPooling(dim, **options)  # type: ignore[arg-type]
    if kind == "mean":
        return MeanPooling()
    raise ValueError(f"unknown pooling {kind!r}; choose from {', '.join(POOLINGS)}")
