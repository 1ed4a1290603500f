# SCRATCH SHIM - not to be committed; replaced by the data-layer branch.
import torch
from torch import Tensor
from typing import Tuple

def minimum_image(dr: Tensor, box: Tensor) -> Tensor:
    dr = dr - box[2] * torch.round(dr[..., 2:3] / box[2, 2])
    dr = dr - box[1] * torch.round(dr[..., 1:2] / box[1, 1])
    dr = dr - box[0] * torch.round(dr[..., 0:1] / box[0, 0])
    return dr

def switching(r: Tensor, r_on: float, r_cut: float) -> Tensor:
    t = ((r - r_on) / (r_cut - r_on)).clamp(0.0, 1.0)
    return 1 - t**3 * (10 - 15 * t + 6 * t * t)

def neighbour_pairs(points: Tensor, box: Tensor, cutoff: float) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    n = points.shape[0]
    idx = torch.triu_indices(n, n, 1, device=points.device)
    i, j = idx[0], idx[1]
    dr = minimum_image(points[j] - points[i], box)
    d2 = (dr * dr).sum(-1)
    keep = d2 < cutoff * cutoff
    i, j, dr = i[keep], j[keep], dr[keep]
    return i, j, dr, torch.sqrt((dr * dr).sum(-1))
