"""``latentcv export``: a trained run and its CV heads, for a given system topology, to a CV folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import mdtraj as md
import torch

from latentcv.cv.basins import load_basins
from latentcv.cv.heads import CombinedHeads
from latentcv.cv.latent_cv import LatentCV
from latentcv.data.features import bond_lengths
from latentcv.data.system_xml import constrained_lengths, read_system_xml
from latentcv.data.topology import read_topology
from latentcv.engines.export import PAIR_SKIN, export_cv
from latentcv.engines.metadynamics import TEMPERATURE_K
from latentcv.errors import InputError
from latentcv.nn.bundle import load_bundle
from latentcv.nn.encoder import HierarchicalEncoder
from latentcv.nn.inputs import EncoderInputs
from latentcv.nn.views import ViewAveragedEncoder

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def export_run(
    model: str | os.PathLike[str],
    topology: str | os.PathLike[str],
    out: str | os.PathLike[str],
    heads: Sequence[str] = ("progress",),
    dtype: str = "float32",
    system_xml: str | os.PathLike[str] | None = None,
    temperature: float = TEMPERATURE_K,
    views: int = 1,
    pair_skin: float = PAIR_SKIN,
    constrained_bonds: bool = False,
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
    constrained_bonds : bool
        For MD that constrains every bond the encoder reads (rigid water): stage 1 is computed once
        (:meth:`HierarchicalEncoder.fix_bonds`) and the modules skip it. The bond lengths are the
        constraint lengths of ``system_xml`` when it is given (exact), else the bond lengths of
        ``topology``'s coordinates. Recorded as ``fixed_bonds`` in metadata.json (particle pairs and
        lengths), which ``latentcv metad`` checks against the System's constraints.
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
    if constrained_bonds:
        encoder.to(DTYPES[dtype])  # stage 1's stored results in the precision of the OpenMM files
        fix_bonds(encoder, inputs, Path(topology), system_xml)
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


def fix_bonds(
    encoder: HierarchicalEncoder, inputs: EncoderInputs, topology: Path, system_xml: str | os.PathLike[str] | None
) -> torch.Tensor:
    """Fix the encoder's bonds at the constraint lengths of ``system_xml`` (an OpenMM System XML;
    ``topology`` itself when it is one), or else at their lengths in ``topology``'s coordinates;
    ``inputs`` is the topology the encoder was given (its bonds, and the file's particle of each of
    its atoms). Returns the lengths (nm)."""
    bonds = inputs.source_atoms[inputs.bonds]  # [2, Nb], particles of the file
    xml = system_xml if system_xml is not None or topology.suffix.lower() != ".xml" else topology
    if xml is not None:
        pairs = bonds.t().tolist()
        constrained = constrained_lengths(read_system_xml(Path(xml)).constraints, pairs)
        free = [sorted(pair) for pair, length in zip(pairs, constrained) if length is None]
        if free:
            raise InputError(f"--constrained-bonds: the System {xml} does not constrain the bond of particles "
                             f"{free[0][0]} and {free[0][1]} ({len(free)} bonds free)")
        lengths = torch.tensor(constrained, dtype=torch.float64)
    else:
        positions, box = _coordinates(topology)
        lengths = bond_lengths(positions, box, bonds.t())
    try:
        return encoder.fix_bonds(lengths)
    except ValueError as err:
        raise InputError(f"--constrained-bonds: {xml or topology}: {err}") from None


def _coordinates(topology: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Positions ``[N, 3]`` and box vectors ``[3, 3]`` (nm, float64) of the first frame of a
    topology file with coordinates."""
    try:
        frame = md.load_frame(str(topology), 0)
    except Exception as err:  # MDTraj raises many types for files without coordinates
        raise InputError(f"--constrained-bonds reads the bond lengths from the coordinates of {topology} "
                         f"(or give --system-xml): {err}") from err
    if frame.unitcell_vectors is None:
        raise InputError(f"--constrained-bonds needs the periodic box of {topology}, which has none")
    return torch.from_numpy(frame.xyz[0]).double(), torch.from_numpy(frame.unitcell_vectors[0]).double()
