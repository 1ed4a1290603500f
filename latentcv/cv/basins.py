"""The crystal and melt basins of a latent space and the CV heads defined on them: ``RUN/heads.json``.

``latentcv cluster`` (:func:`latentcv.commands.cluster.find_basins`) finds the basins and writes
them; :class:`Basins` turns them into the CV heads of :mod:`latentcv.cv.heads`:

- ``progress`` (and ``off_axis``): z projected on the melt-crystal axis, 0 at the melt basin's
  centre and 1 at the crystal basin's (:class:`~latentcv.cv.heads.LatentProgress`);
- ``distance``: the latent distance of z to the crystal basin's centre
  (:class:`~latentcv.cv.heads.LatentDistance`);
- ``crystal_count``: the smooth number of molecules whose latent h_i lies within ``count_radius``
  of the crystal-like molecules' centre (:class:`~latentcv.cv.heads.CrystalCount`);
- ``bias_net``: a network from z to a bias energy fitted to a PMF estimate, when one was given
  (:class:`~latentcv.cv.heads.BiasNet`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from latentcv.atomic import write_text_atomic
from latentcv.cv.heads import (
    BiasNet,
    CrystalCount,
    CrystalFraction,
    CrystallinityCount,
    LatentDistance,
    LatentProgress,
)
from latentcv.cv.stats import ComponentStats
from latentcv.errors import InputError
from latentcv.readers import read_json_object, reading

HEADS_FILE = "heads.json"
HEAD_NAMES = ("progress", "distance", "crystal_count")
#: The head fitted to a PMF estimate (only when one is given).
BIAS_HEAD = "bias_net"
#: CV components the bias_net's PMF may be given on (functions of z alone): component -> (head, index).
Z_COMPONENTS = {"progress": ("progress", 0), "off_axis": ("progress", 1), "distance": ("distance", 0)}
MEANINGS = {"progress": "0 at the melt basin, 1 at the crystal basin (projection on the melt-crystal axis)",
            "off_axis": "distance of z from the melt-crystal axis, in units of the basins' separation",
            "distance": "latent distance of z to the crystal basin centre",
            "crystal_count": "smooth number of molecules whose latent lies in the crystal basin",
            "bias_energy": "bias energy in kJ/mol, -f (F - min F) of a PMF estimate fitted by a network on z"}
#: What the components mean for an encoder with the per-molecule crystallinity readout, where they differ.
CRYSTALLINITY_MEANINGS = {
    "progress": "mean per-molecule crystallinity p_i: 0 in the melt, 1 in the crystal, the crystal fraction between",
    "crystal_count": "smooth number of crystal-like molecules, the sum of the per-molecule crystallinities p_i",
}


@dataclass
class Basins:
    """Centres and CV-head parameters found by ``latentcv cluster`` (latent units).

    Attributes
    ----------
    method : str
        Clustering method of z.
    crystal, melt : list of float
        Centres of the crystal and melt basins of z.
    h_crystal : list of float
        Centre of crystal-like molecules in h space.
    count_radius, count_width : float
        r0 and the sigmoid width of ``crystal_count``.
    crystal_label, melt_label : str
        The phase labels the basins were named after.
    stats : dict
        Per head, a list of ComponentStats dictionaries (one per component).
    bias_net : dict, optional
        The fitted ``bias_net`` head (``net``: :meth:`BiasNet.to_dict`; ``pmf``: source, components,
        fraction, fit errors in kJ/mol); None without a PMF.
    crystallinity : bool
        The encoder has the per-molecule crystallinity readout p_i: ``progress`` is the mean of p_i
        and ``crystal_count`` their sum (the h-space centre, radius and width are then unused).
    """

    method: str
    crystal: list[float]
    melt: list[float]
    h_crystal: list[float]
    count_radius: float
    count_width: float
    crystal_label: str
    melt_label: str
    stats: dict[str, list[dict]]
    bias_net: dict | None = None
    crystallinity: bool = False

    def head(self, name: str) -> torch.nn.Module:
        """The CV head ``progress``, ``distance``, ``crystal_count`` or (when fitted) ``bias_net``."""
        if name == "progress":
            kind = CrystalFraction if self.crystallinity else LatentProgress
            return kind(torch.tensor(self.melt), torch.tensor(self.crystal))
        if name == "distance":
            separation = float(np.linalg.norm(np.subtract(self.crystal, self.melt)))
            return LatentDistance(torch.tensor(self.crystal), separation)
        if name == "crystal_count":
            if self.crystallinity:
                return CrystallinityCount()
            return CrystalCount(torch.tensor(self.h_crystal), self.count_radius, self.count_width)
        if name == BIAS_HEAD:
            if self.bias_net is None:
                raise InputError("the bias_net head is fitted to a PMF estimate: rerun `latentcv cluster` with --pmf")
            return BiasNet.from_dict(self.bias_net["net"])
        raise InputError(f"unknown CV head {name!r}; choose from {', '.join(HEAD_NAMES + (BIAS_HEAD,))}")

    def component_stats(self, name: str) -> list[ComponentStats]:
        """Training-frame statistics of head ``name``'s components."""
        if name not in self.stats:
            raise InputError(f"no statistics for CV head {name!r}; rerun `latentcv cluster`")
        return [ComponentStats(**s) for s in self.stats[name]]

    def meaning(self, component: str) -> str:
        """What CV component ``component`` measures (for the metadata and plumed.dat)."""
        return (CRYSTALLINITY_MEANINGS if self.crystallinity else {}).get(component, MEANINGS[component])

    def z_only(self) -> list[str]:
        """The CV components that are functions of z alone (:data:`Z_COMPONENTS`; ``progress`` is
        not, with the crystallinity readout)."""
        return [c for c in Z_COMPONENTS if not (self.crystallinity and c == "progress")]

    def z_components(self, components: list[str], z: np.ndarray) -> np.ndarray:
        """CV ``components`` (of :meth:`z_only`) at latents ``z[K, latent_dim]``; shape
        ``[K, len(components)]``."""
        wrong = [c for c in components if c not in self.z_only()]
        if wrong:
            raise InputError(f"{', '.join(wrong)} of this model is not a function of z alone: bias_net takes a PMF on "
                             f"{', '.join(self.z_only())}")
        empty = torch.zeros(0, dtype=torch.float64)
        zt = torch.tensor(z, dtype=torch.float64)
        columns = []
        with torch.no_grad():
            for component in components:
                name, index = Z_COMPONENTS[component]
                head = self.head(name).double()
                columns.append(torch.vmap(lambda row, head=head: head(row, empty))(zt)[:, index].numpy())
        return np.stack(columns, axis=1)

    def save(self, run: Path) -> Path:
        """Write ``run/heads.json``."""
        return write_text_atomic(run / HEADS_FILE, json.dumps(asdict(self), indent=1))


def load_basins(run: str | os.PathLike[str]) -> Basins:
    """``RUN/heads.json`` written by ``latentcv cluster``."""
    path = Path(run) / HEADS_FILE
    if not path.is_file():
        raise InputError(f"{Path(run)} has no {HEADS_FILE}: run `latentcv cluster --model {run} ...` first")
    data = read_json_object(path, "heads file of `latentcv cluster`")
    with reading(path, "heads file of `latentcv cluster`"):
        return Basins(**data)
