"""Fit the ``bias_net`` head to a potential of mean force: E(z) ≈ −f · (F(s(z)) − min F).

A PMF estimate F on CV components s (e.g. ``progress`` from a first metadynamics run) says how
much bias would flatten the landscape along s; the ``bias_net`` head learns that bias as a smooth
function of the whole latent vector z, so it can be exported and applied as a static bias (an
OpenMM TorchForce, PLUMED's BIASVALUE) or as the starting bias of further sampling.

The fit samples are latents of real frames (the labelled basins and, when given, frames that
cross between them, e.g. the first run's trajectory) plus points on straight lines between random
crystal and melt latents, t ∈ [−1/4, 5/4], which cover the transition region that basin frames
never visit. The fraction f ∈ (0, 1] scales the bias (1: flatten F completely; a well-tempered run
with bias factor γ converges to f = 1 − 1/γ).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from latentcv.cv.heads import BiasNet
from latentcv.cv.pmf import PMF
from latentcv.errors import InputError
from latentcv.training.threads import torch_threads

#: Line points per real frame between crystal and melt latents.
MIX_PER_FRAME = 4
#: Range of the line parameter t (0 melt, 1 crystal).
MIX_RANGE = (-0.25, 1.25)
#: Fraction of the samples held out to measure the fit.
VALID_FRACTION = 0.2
#: Smallest PMF-grid coverage of the samples' CV values accepted.
MIN_COVERAGE = 0.1


@dataclass
class BiasFit:
    """A fitted ``bias_net`` and how well it reproduces its target.

    Attributes
    ----------
    net : BiasNet
    rmse_train, rmse_valid : float
        Root-mean-square error on the fit and held-out samples, kJ/mol.
    target_span : float
        max − min of the target bias over the samples, kJ/mol.
    samples : int
        Number of samples (frames and line points).
    coverage : float
        Fraction of the samples whose CV values lie inside the PMF's grid.
    """

    net: BiasNet
    rmse_train: float
    rmse_valid: float
    target_span: float
    samples: int
    coverage: float


def line_samples(z_crystal: np.ndarray, z_melt: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``count`` points (1 − t) z_melt + t z_crystal between random crystal and melt latents,
    t uniform in :data:`MIX_RANGE`; shape ``[count, latent_dim]``."""
    rng = np.random.default_rng(seed)
    a = z_crystal[rng.integers(len(z_crystal), size=count)]
    b = z_melt[rng.integers(len(z_melt), size=count)]
    t = rng.uniform(*MIX_RANGE, size=(count, 1))
    return (1.0 - t) * b + t * a


def bias_target(pmf: PMF, cv_values: np.ndarray, fraction: float) -> tuple[np.ndarray, float]:
    """−f · (F(s) − min F) in kJ/mol at ``cv_values[N, n_components]``, and the fraction of points
    inside the PMF grid.

    Raises
    ------
    InputError
        When ``fraction`` is outside (0, 1] or too few points lie inside the grid.
    """
    if not 0.0 < fraction <= 1.0:
        raise InputError(f"the bias fraction must be in (0, 1], got {fraction}")
    inside = np.all([(cv_values[:, k] >= a[0]) & (cv_values[:, k] <= a[-1]) for k, a in enumerate(pmf.axes)], axis=0)
    coverage = float(inside.mean())
    if coverage < MIN_COVERAGE:
        ranges = ", ".join(f"{n} {v.min():.4g}..{v.max():.4g}" for n, v in zip(pmf.components, cv_values.T))
        grids = ", ".join(f"{n} {a[0]:.4g}..{a[-1]:.4g}" for n, a in zip(pmf.components, pmf.axes))
        raise InputError(f"the PMF grid ({grids}) covers only {coverage:.0%} of the frames' CV values ({ranges}): "
                         "was it computed on a CV of this model's heads?")
    return -fraction * (pmf(cv_values) - pmf.values.min()), coverage


def fit_bias_net(
    z: np.ndarray,
    target: np.ndarray,
    hidden: int = 32,
    steps: int = 3000,
    lr: float = 3e-3,
    seed: int = 0,
) -> tuple[BiasNet, float, float]:
    """Least-squares fit of a :class:`BiasNet` to ``target[N]`` (kJ/mol) at ``z[N, latent_dim]``.

    Full-batch AdamW with a cosine learning-rate decay on standardised inputs and outputs; a
    random :data:`VALID_FRACTION` of the samples is held out.

    Returns
    -------
    net : BiasNet
        In eval mode, float32.
    rmse_train, rmse_valid : float
        kJ/mol.
    """
    if len(z) < 10:
        raise InputError(f"bias_net needs at least 10 samples to fit, got {len(z)}")
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(z), generator=generator)
    n_valid = max(1, int(VALID_FRACTION * len(z)))
    valid, train = order[:n_valid], order[n_valid:]
    x = torch.tensor(z, dtype=torch.float32)
    y = torch.tensor(target, dtype=torch.float32)
    mean, scale = x[train].mean(0), x[train].std(0).clamp_min(1e-12)
    e_shift, e_scale = float(y[train].mean()), max(float(y[train].std()), 1e-6)
    torch.manual_seed(seed)
    net = BiasNet(x.shape[1], hidden, mean, scale, e_scale, e_shift)
    with torch_threads(1):  # a network this small trains fastest on one thread
        _minimise(net, x[train], y[train], e_scale, steps, lr)
    net.eval()
    with torch.no_grad():
        predicted = net.energies(x)
    rmse = [float(torch.sqrt(torch.mean((predicted[i] - y[i]) ** 2))) for i in (train, valid)]
    return net, rmse[0], rmse[1]


def _minimise(net: BiasNet, x: torch.Tensor, y: torch.Tensor, e_scale: float, steps: int, lr: float) -> None:
    """Full-batch AdamW with cosine decay on the mean squared error in units of ``e_scale``."""
    optimiser = torch.optim.AdamW(net.net.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
    for _ in range(steps):
        optimiser.zero_grad()
        loss = torch.mean(((net.energies(x) - y) / e_scale) ** 2)
        loss.backward()
        optimiser.step()
        schedule.step()


def fit_to_pmf(
    pmf: PMF,
    z: np.ndarray,
    cv_of: Callable[[np.ndarray], np.ndarray],
    z_crystal: np.ndarray,
    z_melt: np.ndarray,
    fraction: float = 1.0,
    hidden: int = 32,
    seed: int = 0,
) -> BiasFit:
    """Fit ``bias_net`` to −f (F − min F) on real latents ``z[N, latent_dim]`` and line points between
    the crystal and melt latents (see the module docstring).

    Parameters
    ----------
    pmf : PMF
    z : ndarray[N, latent_dim]
        Latents of real frames.
    cv_of : callable
        ``cv_of(z[K, latent_dim]) -> ndarray[K, n_components]``: the PMF's CV components at z.
    z_crystal, z_melt : ndarray
        Latents of crystal and melt frames, for the line points.
    fraction : float
        f, in (0, 1].
    """
    lines = line_samples(z_crystal, z_melt, MIX_PER_FRAME * len(z), seed)
    samples = np.concatenate([z, lines])
    target, coverage = bias_target(pmf, cv_of(samples), fraction)
    net, rmse_train, rmse_valid = fit_bias_net(samples, target, hidden=hidden, seed=seed)
    return BiasFit(net, rmse_train, rmse_valid, float(target.max() - target.min()), len(samples), coverage)
