"""Multi-layer perceptrons with smooth activations (SiLU), so every CV built on them is C-infinity."""

from __future__ import annotations

import torch


def mlp(sizes: list[int], final_activation: bool = False) -> torch.nn.Sequential:
    """``Linear -> SiLU -> ... -> Linear`` through the given layer sizes.

    Parameters
    ----------
    sizes : list of int
        Input size, hidden sizes, output size (at least two entries).
    final_activation : bool
        Whether a SiLU follows the last linear layer too.
    """
    layers: list[torch.nn.Module] = []
    for k in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2 or final_activation:
            layers.append(torch.nn.SiLU())
    return torch.nn.Sequential(*layers)
