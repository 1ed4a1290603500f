"""``latentcv export``: a trained run and its CV heads, for a given system topology, to a CV folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch

from latentcv.cv.basins import load_basins
from latentcv.cv.export import PAIR_SKIN, export_cv
from latentcv.cv.heads import CombinedHeads
from latentcv.cv.latent_cv import LatentCV
from latentcv.data.topology import read_topology
from latentcv.errors import InputError
from latentcv.nn.bundle import load_bundle
from latentcv.nn.views import ViewAveragedEncoder

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def export_run(
    model: str | os.PathLike[str],
    topology: str | os.PathLike[str],
    out: str | os.PathLike[str],
    heads: Sequence[str] = ("progress",),
    dtype: str = "float32",
    system_xml: str | os.PathLike[str] | None = None,
    temperature: float = 300.0,
    views: int = 1,
    pair_skin: float = PAIR_SKIN,
) -> Path:
    """Export the CV of a trained, clustered run for the system of ``topology``.

    Parameters
    ----------
    model : path
        Run folder holding ``model.pt`` and ``heads.json``.
    topology : path
        The system to bias (any size of the training chemistry): its particle order, virtual sites
        included, is the OpenMM System's.
    out : path
        CV folder to write.
    heads : sequence of str
        CV heads whose components become the CV components, in order.
    dtype : str
        ``float32`` or ``float64`` for the OpenMM files.
    temperature : float
        K, written into plumed.dat's METAD line.
    views : int
        Average the latents over this many fixed symmetry-equivalent views of each frame
        (:class:`latentcv.nn.views.ViewAveragedEncoder`); the CV costs ``views`` times more.
        1 (the default) exports the plain encoder. Recorded as ``views`` in metadata.json.
    pair_skin : float
        nm, Verlet skin of the molecular pair list kept between calls (0: a new search per call).
    """
    if dtype not in DTYPES:
        raise InputError(f"--dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if not heads:
        raise InputError("name at least one CV head (--cv progress,distance,crystal_count)")
    if views < 1:
        raise InputError(f"--views must be at least 1, got {views}")
    if not pair_skin >= 0.0:
        raise InputError(f"--pair-skin must be 0 or more (nm), got {pair_skin}")
    bundle = load_bundle(model)
    basins = load_basins(model)
    file_topology, molecular = read_topology(topology, system_xml=system_xml, vocabulary=bundle.vocabulary)
    encoder, inputs = bundle.encoder(molecular)
    combined = CombinedHeads([basins.head(name) for name in heads])
    stats = [s for name in heads for s in basins.component_stats(name)]
    cv = LatentCV(ViewAveragedEncoder(encoder, views) if views > 1 else encoder, combined)
    extra = {
        # the run folder relative to the CV folder, so that the provenance survives moving both together
        "model": os.path.relpath(Path(model).resolve(), Path(out).resolve()),
        "heads": list(heads),
        "centres": {"crystal": basins.crystal, "melt": basins.melt, "method": basins.method},
        "training": bundle.summary,
        "molecules": molecular.n_molecules,
        "views": views,
    }
    return export_cv(cv, inputs.source_atoms.tolist(), file_topology.n_atoms, out, stats, temperature,
                     dtype=DTYPES[dtype], extra_metadata=extra, pair_skin=pair_skin)
