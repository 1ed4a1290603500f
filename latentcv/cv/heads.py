"""CV heads: smooth functions of the latents.

Each head maps the encoder's output for one frame, ``z[latent_dim]``, ``h[M, node_dim]`` and, for
an encoder with the crystallinity readout, the logits of the per-molecule crystallinity p_i
(``crystallinity[M]``, :mod:`latentcv.nn.crystallinity`), to CV values ``[n_cv]``; there is no argmin,
argmax or rounding, and the only non-smooth function, a Euclidean norm, is softened as
``sqrt(|x|² + ε²)`` so that every head has continuous derivatives everywhere. ε is a small
fraction (:data:`SOFT_NORM_FRACTION`) of the head's own length scale (basin separation, count
radius), since latent spaces have no natural unit.
"""

from __future__ import annotations


import torch
from torch import Tensor

from latentcv.nn.mlp import mlp

#: ε of the softened norms as a fraction of each head's length scale.
SOFT_NORM_FRACTION = 1e-3


def soft_norm(x: Tensor, eps: float) -> Tensor:
    """``sqrt(|x|² + ε²)`` over the last axis: a norm with continuous derivatives at 0."""
    return torch.sqrt((x * x).sum(-1) + eps * eps)


class LatentDistance(torch.nn.Module):
    """``distance``: soft Euclidean distance of z to a centre (e.g. the crystal basin's).

    Parameters
    ----------
    centre : Tensor[latent_dim]
        The centre, in latent units.
    scale : float
        Length scale of the latent space (e.g. the basins' separation); ε = SOFT_NORM_FRACTION × scale.
    """

    names = ["distance"]

    def __init__(self, centre: Tensor, scale: float) -> None:
        super().__init__()
        self.register_buffer("centre", centre.detach().clone().float())
        self.eps = SOFT_NORM_FRACTION * scale

    def forward(self, z: Tensor, h: Tensor, crystallinity: Tensor | None = None) -> Tensor:
        """``z[latent_dim]``, ``h[M, node_dim]`` to ``[1]``."""
        return soft_norm(z - self.centre.to(z.dtype), self.eps).reshape(1)


class LatentProgress(torch.nn.Module):
    """``progress``: s = (z − c_melt)·(c_cryst − c_melt) / |c_cryst − c_melt|², melt ≈ 0, crystal ≈ 1;
    and, as a second component, the soft distance of z from the line through both centres, in units of
    |c_cryst − c_melt| (for 2-D metadynamics).

    Parameters
    ----------
    melt, crystal : Tensor[latent_dim]
        Basin centres in latent space.
    """

    names = ["progress", "off_axis"]

    def __init__(self, melt: Tensor, crystal: Tensor) -> None:
        super().__init__()
        axis = (crystal - melt).detach().float()
        length2 = float((axis * axis).sum())
        if length2 <= 0.0:
            raise ValueError("the melt and crystal centres coincide; the progress CV is undefined")
        self.register_buffer("melt", melt.detach().clone().float())
        self.register_buffer("axis", axis / length2)  # (c_cryst − c_melt) / |c_cryst − c_melt|²
        self.register_buffer("direction", axis)
        self.eps = SOFT_NORM_FRACTION * length2**0.5

    def forward(self, z: Tensor, h: Tensor, crystallinity: Tensor | None = None) -> Tensor:
        """``z[latent_dim]``, ``h[M, node_dim]`` to ``[2]``: progress and off-axis distance."""
        return self.on_axis(z)

    def on_axis(self, z: Tensor) -> Tensor:
        """``[2]``: the projection s of z on the melt-crystal axis and the soft distance from it."""
        rel = z - self.melt.to(z.dtype)
        s = (rel * self.axis.to(z.dtype)).sum()
        off = rel - s * self.direction.to(z.dtype)
        length = torch.sqrt((self.direction * self.direction).sum()).to(z.dtype)
        return torch.stack([s, soft_norm(off, self.eps) / length])


class CrystalFraction(LatentProgress):
    """``progress`` of an encoder with the crystallinity readout: the mean of p_i over the molecules,
    0 in the melt and 1 in the crystal, linear in the crystal fraction of a mixed configuration; and,
    as a second component, :class:`LatentProgress`'s distance of z from the melt-crystal axis.

    Parameters
    ----------
    melt, crystal : Tensor[latent_dim]
        Basin centres of z (for the second component).
    """

    def forward(self, z: Tensor, h: Tensor, crystallinity: Tensor | None = None) -> Tensor:
        """``z[latent_dim]``, ``h[M, node_dim]``, ``crystallinity[M]`` logits to ``[2]``."""
        if crystallinity is None or crystallinity.numel() != h.shape[0]:
            raise RuntimeError("this progress CV reads the encoder's per-molecule crystallinity, which it has not")
        return torch.stack([torch.sigmoid(crystallinity).mean(), self.on_axis(z)[1]])


class CrystallinityCount(torch.nn.Module):
    """``crystal_count`` of an encoder with the crystallinity readout: Σ_i p_i, the smooth number
    of crystal-like molecules (extensive: one molecule counts up to 1)."""

    names = ["crystal_count"]

    def forward(self, z: Tensor, h: Tensor, crystallinity: Tensor | None = None) -> Tensor:
        """``z[latent_dim]``, ``h[M, node_dim]``, ``crystallinity[M]`` logits to ``[1]``."""
        if crystallinity is None or crystallinity.numel() != h.shape[0]:
            raise RuntimeError("this crystal count reads the encoder's per-molecule crystallinity, which it has not")
        return torch.sigmoid(crystallinity).sum().reshape(1)


class CrystalCount(torch.nn.Module):
    """``crystal_count``: Σ_i σ((r0 − |h_i − c|) / width), a smooth number of crystal-like molecules
    (extensive, for nucleation in large melts).

    Parameters
    ----------
    centre : Tensor[node_dim]
        Crystal basin centre of the per-molecule latents.
    radius : float
        r0, the latent distance at which a molecule counts one half.
    width : float
        Softness of the sigmoid, latent units.
    """

    names = ["crystal_count"]

    def __init__(self, centre: Tensor, radius: float, width: float) -> None:
        super().__init__()
        if radius <= 0 or width <= 0:
            raise ValueError("crystal_count needs a positive radius and width")
        self.register_buffer("centre", centre.detach().clone().float())
        self.radius = radius
        self.width = width
        self.eps = SOFT_NORM_FRACTION * radius

    def forward(self, z: Tensor, h: Tensor, crystallinity: Tensor | None = None) -> Tensor:
        """``z[latent_dim]``, ``h[M, node_dim]`` to ``[1]``."""
        d = soft_norm(h - self.centre.to(h.dtype), self.eps)
        return torch.sigmoid((self.radius - d) / self.width).sum().reshape(1)


class BiasNet(torch.nn.Module):
    """``bias_net``: a dense network from z to a bias energy (kJ/mol), E = s_E · MLP((z − μ) / σ) + E_0.

    The fixed input standardisation (μ, σ per latent dimension) and output scale (s_E, E_0) come
    from the samples it was fitted to (:func:`latentcv.cv.bias_fit.fit_bias_net`), so the network
    works on O(1) numbers whatever the latent space's scale. SiLU activations: C-infinity in z.

    Parameters
    ----------
    latent_dim : int
        Size of z.
    hidden : int
        Hidden layer size.
    z_mean, z_scale : Tensor[latent_dim], optional
        μ and σ, latent units (default 0 and 1).
    energy_scale, energy_shift : float
        s_E and E_0, kJ/mol.
    """

    names = ["bias_energy"]

    def __init__(self, latent_dim: int, hidden: int = 32, z_mean: Tensor | None = None,
                 z_scale: Tensor | None = None, energy_scale: float = 1.0, energy_shift: float = 0.0) -> None:
        super().__init__()
        self.latent_dim, self.hidden = latent_dim, hidden
        self.net = mlp([latent_dim, hidden, hidden, 1])
        mean = torch.zeros(latent_dim) if z_mean is None else z_mean.detach().clone().float()
        scale = torch.ones(latent_dim) if z_scale is None else z_scale.detach().clone().float()
        if bool((scale <= 0).any()):
            raise ValueError("bias_net needs positive input scales")
        self.register_buffer("z_mean", mean)
        self.register_buffer("z_scale", scale)
        self.energy_scale = float(energy_scale)
        self.energy_shift = float(energy_shift)

    def forward(self, z: Tensor, h: Tensor, crystallinity: Tensor | None = None) -> Tensor:
        """``z[latent_dim]``, ``h[M, node_dim]`` to ``[1]`` kJ/mol."""
        return self.energies(z.unsqueeze(0))

    def energies(self, z: Tensor) -> Tensor:
        """Bias energies ``[K]`` (kJ/mol) of latents ``z[K, latent_dim]``."""
        u = (z - self.z_mean.to(z.dtype)) / self.z_scale.to(z.dtype)
        return (self.net(u) * self.energy_scale + self.energy_shift).reshape(-1)

    def to_dict(self) -> dict:
        """Sizes, scales and weights as JSON-ready lists (inverse: :meth:`from_dict`)."""
        return {"latent_dim": self.latent_dim, "hidden": self.hidden, "energy_scale": self.energy_scale,
                "energy_shift": self.energy_shift,
                "state": {k: v.detach().cpu().tolist() for k, v in self.state_dict().items()}}

    @classmethod
    def from_dict(cls, data: dict) -> BiasNet:
        """The network saved by :meth:`to_dict`."""
        net = cls(int(data["latent_dim"]), int(data["hidden"]), energy_scale=float(data["energy_scale"]),
                  energy_shift=float(data["energy_shift"]))
        net.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in data["state"].items()})
        return net


#: Name of the components that are bias energies (kJ/mol), not CVs: an engine applies them as a
#: static bias, never metadynamics.
ENERGY_COMPONENT = BiasNet.names[0]


class CombinedHeads(torch.nn.Module):
    """Several heads side by side: their components concatenated, in order.

    Parameters
    ----------
    heads : list of torch.nn.Module
        Heads of this module (each with ``names``).
    """

    def __init__(self, heads: list[torch.nn.Module]) -> None:
        super().__init__()
        self.heads = torch.nn.ModuleList(heads)
        self.names: list[str] = [n for head in heads for n in head.names]

    def forward(self, z: Tensor, h: Tensor, crystallinity: Tensor | None = None) -> Tensor:
        """``z[latent_dim]``, ``h[M, node_dim]`` to ``[n_cv]``, the heads' components concatenated."""
        return torch.cat([head(z, h, crystallinity) for head in self.heads])
