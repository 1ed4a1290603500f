"""An exported CV with an untrained encoder, for trying the metadynamics machinery on a real system.

The encoder's weights are random: its latent space separates two given structures only because
the progress head's two centres are put at their latents. Such a CV is useful to check that a run
works end to end, not to learn anything about crystallization; its metadata says ``"untrained":
true``. Use a trained CV (``latentcv export``) for science. Its export is
:func:`latentcv.engines.export.export_untrained_cv`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from latentcv.cv.heads import LatentProgress
from latentcv.cv.latent_cv import LatentCV
from latentcv.cv.stats import ComponentStats
from latentcv.data.features import bond_lengths
from latentcv.data.topology import read_topology
from latentcv.nn.encoder import EncoderConfig, HierarchicalEncoder
from latentcv.nn.inputs import encoder_inputs, feature_dim

#: Spread assumed for each state, in units of the melt-crystal separation (the CV's unit): one
#: frame per state says nothing about fluctuations.
ASSUMED_STD = 0.1

#: Small encoder sizes, cheap enough for short test runs on a CPU.
SMALL_ENCODER = EncoderConfig(atom_dim=16, node_dim=32, latent_dim=4)


@dataclass
class Frame:
    """One configuration of every particle of the System.

    Attributes
    ----------
    positions : ndarray[N, 3]
        nm, virtual sites included.
    box : ndarray[3, 3]
        Box vectors as rows, nm.
    """

    positions: np.ndarray
    box: np.ndarray


@dataclass
class UntrainedCV:
    """An untrained CV on the particles of a System, ready to export
    (:func:`latentcv.engines.export.export_untrained_cv`).

    Attributes
    ----------
    cv : LatentCV
        The random encoder with the progress head, float64, in eval mode.
    atoms : list of int
        Indices, among the System's particles, of the atoms the encoder reads, in its order.
    n_particles : int
        Particles of the System (virtual sites included).
    stats : list of ComponentStats
        Statistics of ``progress`` and ``off_axis`` at the two structures (spread at least
        :data:`ASSUMED_STD`).
    metadata : dict
        Entries for metadata.json that say the CV is untrained.
    """

    cv: LatentCV
    atoms: list[int]
    n_particles: int
    stats: list[ComponentStats]
    metadata: dict


def untrained_cv(
    topology_pdb: str | os.PathLike[str],
    melt: Frame,
    crystal: Frame,
    seed: int = 0,
    constrained_bonds: bool = False,
) -> UntrainedCV:
    """A two-component progress CV (``progress``, ``off_axis``) with a random encoder.

    Parameters
    ----------
    topology_pdb : path
        PDB of the System's particles (``latentcv simulate``'s ``topology.pdb``), virtual sites
        included.
    melt, crystal : Frame
        Structures that define progress 0 and 1 (same particles as the PDB).
    seed : int
        Seed of the random weights.
    constrained_bonds : bool
        Fix the bonds at their lengths in ``crystal`` (``latentcv export --constrained-bonds``), for
        MD that constrains them (rigid water).
    """
    file_topology, molecular = read_topology(topology_pdb)
    inputs = encoder_inputs(molecular, use_charges=False)
    atoms = inputs.source_atoms
    positions = torch.tensor(np.stack([melt.positions, crystal.positions]))[:, atoms]
    boxes = torch.tensor(np.stack([melt.box, crystal.box]))
    torch.manual_seed(seed)
    encoder = HierarchicalEncoder(feature_dim(molecular.vocabulary), SMALL_ENCODER).double()
    encoder.set_topology(*inputs.topology())
    encoder.fix_pooling(positions, boxes)
    if constrained_bonds:
        encoder.fix_bonds(bond_lengths(positions[1], boxes[1], inputs.bonds.t()))
    with torch.no_grad():
        z = encoder(positions, boxes).z
        cv = LatentCV(encoder, LatentProgress(z[0], z[1])).double().eval()
        values = torch.stack([cv(p, b) for p, b in zip(positions, boxes)]).numpy()
    stats = [
        ComponentStats(
            name, meaning, float(values[:, k].mean()), max(float(values[:, k].std()), ASSUMED_STD),
            float(values[:, k].min()), float(values[:, k].max()),
            {"melt": float(values[0, k]), "crystal": float(values[1, k])},
        )
        for k, (name, meaning) in enumerate(
            [("progress", "0 at the melt structure, 1 at the crystal structure (untrained encoder)"),
             ("off_axis", "distance from the melt-crystal axis in latent space (untrained encoder)")]
        )
    ]
    extra = {"untrained": True, "note": "random encoder weights: a smoke-test CV, not a learned one"}
    return UntrainedCV(cv, atoms.tolist(), file_topology.n_atoms, stats, extra)
