"""Mode seeking: gradient ascent on φ with an element-wise backtracking step size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from latentcv.cluster.nmc.potential import value_and_grad


@dataclass(frozen=True)
class Ascent:
    """Result of :func:`seek_modes`.

    Attributes
    ----------
    endpoints : Tensor, shape (n, d)
        Where each climb stopped.
    values : Tensor, shape (n,)
        φ at the endpoints.
    grad_norm : Tensor, shape (n,)
        ‖∇φ‖ at the endpoints.
    converged : Tensor, shape (n,), bool
        Whether ‖∇φ‖ fell below the tolerance.
    n_iter : int
        Iterations run.
    """

    endpoints: Tensor
    values: Tensor
    grad_norm: Tensor
    converged: Tensor
    n_iter: int


def seek_modes(
    phi: Callable[[Tensor], Tensor],
    x: Tensor,
    step: float = 0.1,
    tol: float = 1e-4,
    max_iter: int = 500,
) -> Ascent:
    """Climb φ from every point until the gradient vanishes.

    Each point has its own step size η_i, starting at ``step``. A trial move x_i + η_i∇φ(x_i) is
    accepted where it raises φ; where it does not, the point stays and η_i is halved (element-wise
    backtracking). A point stops when ‖∇φ(x_i)‖ < ``tol``; all stop after ``max_iter`` iterations.

    Parameters
    ----------
    phi : callable
        Maps (n, d) to (n,); each output depends only on its own row.
    x : Tensor, shape (n, d)
        Starting points.
    step : float
        Initial step size (units: length² / potential).
    tol : float
        Gradient-norm tolerance.
    max_iter : int
        Largest number of iterations.

    Returns
    -------
    Ascent
    """
    pos = x.detach().clone()
    eta = torch.full((pos.shape[0],), step, dtype=pos.dtype, device=pos.device)
    values, grad = value_and_grad(phi, pos)
    values = values.detach()
    grad_norm = grad.norm(dim=-1)
    n_iter = 0
    while n_iter < max_iter:
        active = grad_norm >= tol
        if not bool(active.any()):
            break
        idx = active.nonzero().squeeze(-1)
        trial = pos[idx] + eta[idx, None] * grad[idx]
        t_values, t_grad = value_and_grad(phi, trial)
        better = t_values > values[idx]
        moved = idx[better]
        pos[moved], values[moved], grad[moved] = trial[better], t_values[better].detach(), t_grad[better]
        grad_norm[moved] = t_grad[better].norm(dim=-1)
        eta[idx[~better]] *= 0.5
        n_iter += 1
    return Ascent(pos, values.detach(), grad_norm, grad_norm < tol, n_iter)
