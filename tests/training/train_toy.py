"""A tiny real model and data set for the training tests, and a way to train it in a child
process (the scripts import this module too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.utils.data import TensorDataset

DIM = 8
#: This directory: ``train_toy_run.py`` lives here and imports this module.
HERE = Path(__file__).resolve().parent


class ToyAutoencoder(nn.Module):
    """An MLP autoencoder with dropout (so resumption must restore the torch RNG exactly)."""

    def __init__(self, dim: int = DIM, latent: int = 2, hidden: int = 16, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Dropout(dropout), nn.Linear(hidden, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, dim))

    def loss(self, batch: tuple[Tensor]) -> dict[str, Tensor]:
        """Reconstruction error plus a small latent penalty; both logged."""
        (x,) = batch
        z = self.encoder(x)
        recon = (self.decoder(z) - x).pow(2).mean()
        latent = z.pow(2).mean()
        return {"loss": recon + 1e-3 * latent, "recon": recon, "latent": latent}


def toy_data(n: int = 96, dim: int = DIM, seed: int = 0) -> TensorDataset:
    """Vectors near a 2-D plane in ``dim`` dimensions (an autoencoder with 2 latents can fit them)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 2, generator=g)
    x = z @ torch.randn(2, dim, generator=g) + 0.05 * torch.randn(n, dim, generator=g)
    return TensorDataset(x)


def toy_model(seed: int = 0) -> ToyAutoencoder:
    """A freshly initialised :class:`ToyAutoencoder`, the same for the same seed."""
    torch.manual_seed(seed)
    return ToyAutoencoder()


def run_python(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in a child that imports this checkout's latentcv (not an installed
    copy) and this module, without CUDA; capture its output."""
    import latentcv

    root = str(Path(latentcv.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, str(HERE)]), "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=HERE)
