"""Padded tables of the members of each group (atoms of a molecule, points of a cell)."""

import torch


def group_table(group: torch.Tensor, n_groups: int) -> torch.Tensor:
    """Members of each group, in increasing index order, padded with -1.

    Parameters
    ----------
    group : torch.Tensor
        Shape ``(N,)``, int64 in ``[0, n_groups)``: the group of each member.
    n_groups : int
        Number of groups (empty groups get a row of -1).

    Returns
    -------
    torch.Tensor
        Shape ``(n_groups, max_members)``, int64: row ``g`` lists the members of group ``g``
        followed by -1.
    """
    n = group.shape[0]
    order = torch.argsort(group, stable=True)
    sorted_group = group[order]
    counts = torch.bincount(group, minlength=n_groups)
    first = torch.cumsum(counts, 0) - counts
    slot = torch.arange(n, device=group.device) - first[sorted_group]
    width = int(counts.max()) if n > 0 else 0
    table = torch.full((n_groups, width), -1, dtype=torch.long, device=group.device)
    table[sorted_group, slot] = order
    return table
