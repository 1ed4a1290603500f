"""Decoders and losses around the hierarchical encoder (training only; never exported).

Every reconstruction target is invariant, so the latents are asked to carry only physical
information:

- ``profile``: each molecule's smooth neighbour-distance profile, t_i(b) = Σ_j w_ij φ_b(d_ij) over
  the molecular graph (φ_b Gaussians on [0, D_t]), decoded from h_i;
- ``global``: the frame's mean profile, decoded from z (this is what makes z separate phases);
- ``adjacency``: σ(h_i·h_j / √d) against the smooth adjacency w_ij, on graph edges and on random
  molecule pairs of the same frame (mostly non-neighbours, target w = 0);
- ``intra``: each bond length, decoded from the pooled molecule node and the two atoms' feature
  embeddings (trains stage 1 and the pooling: the molecule autoencoder);
- ``kl``: the VAE term when ``variational``; ``aux``: the pooling's own loss (DiffPool's);
- ``crystallinity``: the binary cross-entropy of the per-molecule crystallinity p_i
  (:mod:`latentcv.nn.crystallinity`) against per-molecule phase labels (1 crystal, 0 melt).

Staged training (``stage``): ``molecule`` optimises intra + aux and runs only stage 1, pooling
and lift (no molecular graph); ``configuration`` optimises everything else (stage-1 modules frozen
or fine-tuned, chosen by the caller), optionally on latents averaged over ``views``
symmetry-equivalent views of each frame (:mod:`latentcv.nn.views`); ``crystallinity`` then fits
the crystallinity readout, and with ``fine_tune`` the configuration stage's modules too, on the
crystallinity term plus the configuration stage's loss (which keeps the latents what they encode).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.utils import scatter

from latentcv.geometry import minimum_image, switch_polynomial
from latentcv.nn.encoder import EncoderOutput, HierarchicalEncoder
from latentcv.nn.mlp import mlp
from latentcv.nn.radial import GaussianBasis
from latentcv.nn.views import ViewAveragedEncoder

STAGES = ("molecule", "configuration", "crystallinity")


@dataclass
class LossWeights:
    """Weights of the loss terms (see the module docstring)."""

    profile: float = 1.0
    global_profile: float = 1.0
    adjacency: float = 0.5
    intra: float = 1.0
    kl: float = 1e-3
    aux: float = 0.1
    crystallinity: float = 1.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


class HierarchicalAutoencoder(torch.nn.Module):
    """The encoder with its decoders; :meth:`loss` is what training minimises.

    Parameters
    ----------
    encoder : HierarchicalEncoder
        The encoder (its topology set).
    weights : LossWeights
        Loss weights.
    variational : bool
        Sample z from N(z, exp(logvar)) in training and add the KL term.
    profile_bins : int
        Gaussians in the neighbour-distance profile.
    negatives : int
        Random molecule pairs per molecule for the adjacency loss.
    views : int
        Symmetry-equivalent views of each frame whose latents the configuration stage averages
        (:class:`latentcv.nn.views.ViewAveragedEncoder`); 1 is off. Not weights: the encoder is
        trained and saved as it is.
    """

    def __init__(
        self,
        encoder: HierarchicalEncoder,
        weights: LossWeights | None = None,
        variational: bool = False,
        profile_bins: int = 16,
        negatives: int = 2,
        views: int = 1,
    ) -> None:
        super().__init__()
        c = encoder.config
        self.encoder = encoder
        self.weights = weights or LossWeights()
        self.variational = variational
        self.negatives = negatives
        if views < 1:
            raise ValueError(f"views must be at least 1, got {views}")
        self.views = views
        self.stage = "configuration"
        self.profile_basis = GaussianBasis(profile_bins, c.cutoff)
        self.profile_head = mlp([c.node_dim, c.node_dim, profile_bins])
        self.global_head = mlp([c.latent_dim, c.node_dim, profile_bins])
        self.bond_head = mlp([c.atom_dim + c.node_dim, c.atom_dim, 1])
        self.logvar_head = mlp([c.latent_dim, c.latent_dim, c.latent_dim]) if variational else None
        self.fine_tune = False

    def set_stage(self, stage: str, freeze_stage_one: bool = True, fine_tune: bool = False) -> None:
        """Select a training stage's loss and its trainable parameters.

        ``molecule`` trains stage 1, the pooling and the bond decoder only. ``configuration``
        trains the rest but the crystallinity readout, and stage 1 and the pooling too unless
        ``freeze_stage_one``; the bond decoder is not part of its loss and stays frozen (DDP needs
        every trained parameter used). ``crystallinity`` trains the crystallinity readout, and with
        ``fine_tune`` what ``configuration`` trains as well.
        """
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; choose from {', '.join(STAGES)}")
        e = self.encoder
        if stage == "crystallinity" and e.crystallinity is None:
            raise ValueError("the crystallinity stage needs an encoder with the crystallinity readout")
        self.stage, self.fine_tune = stage, fine_tune
        molecule_modules = [e.intra, e.pool, e.lift, self.bond_head]
        if stage == "molecule":
            self.requires_grad_(False)
            for module in molecule_modules:
                module.requires_grad_(True)
            return
        self.requires_grad_(stage == "configuration" or fine_tune)
        self.bond_head.requires_grad_(False)
        if freeze_stage_one:
            e.intra.requires_grad_(False)
            e.pool.requires_grad_(False)
        if e.crystallinity is not None:
            e.crystallinity.requires_grad_(stage == "crystallinity")

    def profiles(self, out: EncoderOutput) -> Tensor:
        """Per-molecule neighbour-distance profiles ``[B M, bins]`` (targets)."""
        g = out.graph
        phi = g.weight.unsqueeze(-1) * self.profile_basis(g.distance)
        return torch.zeros(out.h.shape[0], phi.shape[1], dtype=phi.dtype, device=phi.device).index_add(0, g.dst, phi)

    def _negative_pairs(self, out: EncoderOutput, box: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        n_frames, n_mol = out.centres.shape[0], out.centres.shape[1]
        count = self.negatives * n_mol
        i = torch.randint(0, n_mol, (n_frames, count), device=box.device)
        j = torch.randint(0, n_mol, (n_frames, count), device=box.device)
        keep = i != j
        dist = []
        for f in range(n_frames):
            dr = minimum_image(out.centres[f, j[f]] - out.centres[f, i[f]], box[f])
            dist.append(torch.sqrt((dr * dr).sum(-1)))
        target = switch_polynomial(torch.stack(dist), self.encoder.switch_on, self.encoder.cutoff)
        offset = (torch.arange(n_frames, device=box.device) * n_mol).unsqueeze(-1)
        return (i + offset)[keep], (j + offset)[keep], target[keep].detach()

    def _bond_loss(self, atoms0: Tensor, nodes: Tensor, bond_length: Tensor, positions: Tensor) -> Tensor:
        """The ``intra`` term: bond lengths ``[B Nb]`` (nm) decoded from the atom embeddings before
        message passing ``atoms0[B n, atom_dim]`` and the molecule ``nodes[B M, node_dim]``."""
        e = self.encoder
        n_frames, n_atoms, n_mol = positions.shape[0], positions.shape[1], e.species.shape[0]
        frames = torch.arange(n_frames, device=positions.device)
        atom_index = e.bonds.unsqueeze(0) + (frames * n_atoms)[:, None, None]
        pair = atoms0[atom_index[:, 0]] + atoms0[atom_index[:, 1]]  # symmetric in the two atoms
        mol_index = e.atom_mol[e.bonds[0]].unsqueeze(0) + (frames * n_mol)[:, None]
        predicted = self.bond_head(torch.cat([pair, nodes[mol_index]], dim=-1)).reshape(-1)
        return F.mse_loss(predicted, 10.0 * bond_length)  # in Å to be O(1)

    def encode(self, positions: Tensor, box: Tensor) -> EncoderOutput:
        """The encoder's output for the configuration stage, averaged over ``views`` symmetry-
        equivalent views of each frame when ``views > 1`` (random ones in training mode)."""
        if self.views == 1:
            return self.encoder(positions, box)
        return ViewAveragedEncoder(self.encoder, self.views).train(self.training)(positions, box)

    def loss(self, batch: tuple[Tensor, ...] | list[Tensor]) -> dict[str, Tensor]:
        """Loss terms for a batch ``(positions[B, n, 3], box[B, 3, 3], ...)`` (nm); key ``loss`` is
        the weighted sum for the current stage. The molecule stage runs only stage 1, pooling and
        lift (:meth:`HierarchicalEncoder.molecule_nodes`), never the molecular graph."""
        positions, box = batch[0], batch[1]
        w = self.weights
        if self.stage == "molecule":
            m = self.encoder.molecule_nodes(positions, box)
            intra = self._bond_loss(m.atoms.x0, m.nodes, m.atoms.bond_length, positions)
            return {"intra": intra, "aux": m.aux_loss, "loss": w.intra * intra + w.aux * m.aux_loss}

        out = self.encode(positions, box)
        if self.stage == "crystallinity":
            target = batch[3].reshape(-1).to(out.crystallinity.dtype)
            known = target >= 0
            term = F.binary_cross_entropy_with_logits(out.crystallinity[known], target[known])
            terms = self._configuration_terms(out, positions, box) if self.fine_tune else {"loss": term * 0.0}
            terms["crystallinity"] = term
            terms["loss"] = terms["loss"] + w.crystallinity * term
            return terms
        return self._configuration_terms(out, positions, box)

    def _configuration_terms(self, out: EncoderOutput, positions: Tensor, box: Tensor) -> dict[str, Tensor]:
        """The configuration stage's loss terms and their weighted sum (``loss``)."""
        w = self.weights
        n_frames = positions.shape[0]
        terms = {"intra": self._bond_loss(out.atoms0, out.nodes, out.bond_length, positions), "aux": out.aux_loss}
        target = self.profiles(out)
        terms["profile"] = F.mse_loss(self.profile_head(out.h), target)
        z = out.z
        if self.logvar_head is not None:
            logvar = self.logvar_head(z)
            terms["kl"] = -0.5 * torch.mean(1 + logvar - z * z - logvar.exp())
            if self.training:
                z = z + torch.randn_like(z) * torch.exp(0.5 * logvar)
        frame_profile = scatter(target, out.frame, dim=0, dim_size=n_frames, reduce="mean")
        terms["global_profile"] = F.mse_loss(self.global_head(z), frame_profile)
        i, j, soft = self._negative_pairs(out, box)
        src = torch.cat([out.graph.src, j])
        dst = torch.cat([out.graph.dst, i])
        soft = torch.cat([out.graph.weight.detach(), soft])
        logits = (out.h.index_select(0, src) * out.h.index_select(0, dst)).sum(-1) / out.h.shape[1] ** 0.5
        terms["adjacency"] = F.binary_cross_entropy_with_logits(logits, soft)
        total = (w.profile * terms["profile"] + w.global_profile * terms["global_profile"]
                 + w.adjacency * terms["adjacency"] + w.aux * terms["aux"])
        if "kl" in terms:
            total = total + w.kl * terms["kl"]
        terms["loss"] = total
        return terms
