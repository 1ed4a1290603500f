"""Wren-style view averaging: encode symmetry-equivalent views of each frame, average the latents.

Following Goodall et al. (Wren, Sci. Adv. 8, eabn4117, 2022), :class:`ViewAveragedEncoder` encodes
V equivalent representations of every frame and averages the embeddings after message passing. The
hierarchical encoder is already invariant by construction (only invariant quantities enter it), so
the average changes only float round-off and representation noise, at V times the cost; it is off
(V = 1) by default in training and at export.

Every view is an exact symmetry of the periodic system and linear in the positions (smooth):

- view 0 is the frame itself;
- in evaluation mode (export), view k >= 1 is fixed and deterministic: a translation by
  ``f_k @ box``, with f_k the k-th point of the R3 low-discrepancy sequence (fractions of the box
  vectors), then k mod 3 cyclic relabellings of the box vectors (``CYCLIC_BASIS``) brought back to
  reduced form by a rotation of the coordinates (:func:`latentcv.data.augment.change_basis`); the
  rotation depends on the box only;
- in training mode, view k >= 1 is random and new at every call: a random translation, each
  molecule moved by its own random lattice vector, and a random relabelling and rotation
  (:mod:`latentcv.data.augment`). This path is eager only (not scripted).
"""

# no ``from __future__ import annotations``: TorchScript reads the annotations of the @torch.jit.unused
# method as objects
import torch
from torch import Tensor

from latentcv.data.augment import (
    CYCLIC_BASIS,
    change_basis,
    random_molecule_images,
    random_rotation,
    random_translation,
    translate,
)
from latentcv.nn.encoder import Deployment, EncoderOutput, HierarchicalEncoder, MolecularGraph

#: The R3 sequence's generator: the positive root of x^4 = x + 1 (Roberts, 2018).
R3_ROOT = 1.2207440846057594


def view_fractions(count: int) -> Tensor:
    """Fractional translations of views 1 .. ``count``: points k alpha mod 1 of the R3 sequence,
    alpha = (1/g, 1/g^2, 1/g^3); shape ``[count, 3]``, float64, in [0, 1)."""
    alpha = torch.tensor([R3_ROOT ** -1, R3_ROOT ** -2, R3_ROOT ** -3], dtype=torch.float64)
    k = torch.arange(1, count + 1, dtype=torch.float64).unsqueeze(-1)
    return torch.remainder(k * alpha, 1.0)


class ViewAveragedEncoder(torch.nn.Module):
    """A :class:`HierarchicalEncoder` averaged over V symmetry-equivalent views (module docstring).

    ``forward(positions[B, n, 3], box[B, 3, 3]) -> EncoderOutput`` like the encoder's: the V views
    of the B frames go through the encoder in one batched call of V B frames. ``h``, ``z`` and
    ``nodes`` are the averages over the views; ``frame``, ``graph``, ``atoms0``, ``bond_length`` and
    ``centres`` are view 0's, i.e. those of the frames as given, so that the decoders' invariant
    targets do not change; ``aux_loss`` is the pooling's over all V B frames in one (zero for seed
    and mean pooling; DiffPool's link term is normalised over the whole batch, so it reads like that
    of a batch V times larger).

    Parameters
    ----------
    encoder : HierarchicalEncoder
        The encoder (topology set); shared, not copied.
    views : int
        V >= 1; 1 returns the encoder's output unchanged.

    Notes
    -----
    A relabelled triclinic box has other reduced-form diagonal entries, which the encoder checks
    against twice its cutoff; a box that passes only barely may be refused in another view.
    """

    def __init__(self, encoder: HierarchicalEncoder, views: int) -> None:
        super().__init__()
        if views < 1:
            raise ValueError(f"views must be at least 1, got {views}")
        self.encoder = encoder
        self.views = views
        device = encoder.distance_basis.centres.device
        bases = [torch.linalg.matrix_power(CYCLIC_BASIS, k % 3) for k in range(1, views)]
        self.register_buffer("fractions", view_fractions(views - 1).to(device))
        stacked = torch.stack(bases).to(device) if bases else torch.zeros(0, 3, 3, dtype=torch.long)
        self.register_buffer("bases", stacked)

    def deployment(self) -> Deployment:
        """The encoder's :meth:`HierarchicalEncoder.deployment`: averaging views changes none of it."""
        return self.encoder.deployment()

    @torch.jit.unused
    def set_pair_skin(self, skin: float) -> None:
        """The encoder's :meth:`HierarchicalEncoder.set_pair_skin`."""
        self.encoder.set_pair_skin(skin)

    def fixed_views(self, positions: Tensor, box: Tensor) -> tuple[Tensor, Tensor]:
        """The V deterministic views of B frames: positions ``[V, B, n, 3]`` and boxes
        ``[V, B, 3, 3]`` (reduced form), nm; view 0 is the input itself."""
        count = self.views - 1
        shift = self.fractions.to(box.dtype)[:, None, None, :] @ box  # [V-1, B, 1, 3] nm
        moved, boxes = change_basis(translate(positions, shift), box.expand(count, -1, -1, -1), self.bases[:, None])
        return torch.cat([positions.unsqueeze(0), moved]), torch.cat([box.unsqueeze(0), boxes])

    @torch.jit.unused
    def random_views(self, positions: Tensor, box: Tensor) -> tuple[Tensor, Tensor]:
        """V views of B frames as :meth:`fixed_views` gives them, views 1 .. V-1 drawn at random."""
        xs, boxes = [positions], [box]
        for _ in range(self.views - 1):
            x = random_molecule_images(random_translation(positions, box), box, self.encoder.atom_mol)
            x, b = random_rotation(x, box)
            xs.append(x)
            boxes.append(b)
        return torch.stack(xs), torch.stack(boxes)

    def forward(self, positions: Tensor, box: Tensor) -> EncoderOutput:
        """Encode B frames (``positions[B, n, 3]``, ``box[B, 3, 3]`` reduced form, nm), averaging
        over the views (random ones in training mode, the fixed ones otherwise)."""
        if self.views == 1:
            return self.encoder(positions, box)
        if self.training:
            x, b = self.random_views(positions, box)
        else:
            x, b = self.fixed_views(positions, box)
        n_frames, n_atoms = positions.shape[0], positions.shape[1]
        out = self.encoder(x.reshape(-1, n_atoms, 3), b.reshape(-1, 3, 3))
        v = self.views
        first = n_frames * self.encoder.species.shape[0]  # molecules of view 0
        g = out.graph
        keep = g.dst < first  # view 0's edges (no edge joins two views)
        graph = MolecularGraph(g.src[keep], g.dst[keep], g.weight[keep], g.distance[keep], g.unit[:, keep])
        return EncoderOutput(
            out.h.reshape(v, first, -1).mean(0),
            out.z.reshape(v, n_frames, -1).mean(0),
            out.frame[:first],
            out.aux_loss,
            graph,
            out.nodes.reshape(v, first, -1).mean(0),
            out.atoms0[: n_frames * n_atoms],
            out.bond_length[: out.bond_length.shape[0] // v],
            out.centres[:n_frames],
            out.crystallinity.reshape(v, -1).mean(0) if out.crystallinity.numel() > 0 else out.crystallinity,
        )
