"""Gathers and sums of rows (atoms, molecules) of per-frame arrays ``[..., N, C]``.

PyTorch's CPU ``index_add`` along any axis but the first is several times slower than along the
first, and it is also the backward of ``index_select`` along that axis. An exported CV sees one
frame, ``[1, N, C]``; for it these helpers index the 2-D ``[N, C]`` array along its first axis
instead. The results are the same numbers (the same sums in the same order); batches of several
frames, as in training, take the plain path.
"""

import torch


def gather_rows(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x.index_select(-2, index)``: rows ``index`` of every frame.

    Parameters
    ----------
    x : torch.Tensor
        Shape ``(..., N, C)``.
    index : torch.Tensor
        Shape ``(K,)``, int64 in ``[0, N)``.

    Returns
    -------
    torch.Tensor
        Shape ``(..., K, C)``.
    """
    if x.dim() == 3 and x.shape[0] == 1:
        return x[0].index_select(0, index).unsqueeze(0)
    return x.index_select(-2, index)


def sum_rows(x: torch.Tensor, index: torch.Tensor, size: int) -> torch.Tensor:
    """Sums of the rows of every frame by group: row ``g`` of the result is the sum of the rows
    ``a`` of ``x`` with ``index[a] == g``.

    Parameters
    ----------
    x : torch.Tensor
        Shape ``(..., N, C)``.
    index : torch.Tensor
        Shape ``(N,)``, int64 in ``[0, size)``: the group of each row.
    size : int
        Number of groups (a group without rows gets zeros).

    Returns
    -------
    torch.Tensor
        Shape ``(..., size, C)``.
    """
    shape = list(x.shape)
    shape[-2] = size
    if x.dim() == 3 and x.shape[0] == 1:
        sums = torch.zeros(shape[1:], dtype=x.dtype, device=x.device)
        return sums.index_add(0, index, x[0]).unsqueeze(0)
    sums = torch.zeros(shape, dtype=x.dtype, device=x.device)
    return sums.index_add(-2, index, x)
