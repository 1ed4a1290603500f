"""The hierarchical encoder: atoms -> molecules -> configuration (:class:`HierarchicalEncoder`, whose
docstring gives the method), its configuration and what it computes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from latentcv.geometry import VerletPairs, centres_of_whole, gather_rows, make_whole, neighbour_pairs, switch_polynomial
from latentcv.nn.fixed_bonds import LENGTH_TOLERANCE, bond_classes, canonical_atoms, class_means
from latentcv.nn.crystallinity import CrystallinityReadout
from latentcv.nn.intra import IntraMolecularGNN
from latentcv.nn.orientation import MolecularDirections
from latentcv.nn.pooling import make_pooling
from latentcv.nn.pooling.seeds import SeedAttentionPooling
from latentcv.nn.radial import GaussianBasis
from latentcv.nn.readout import ConfigurationReadout
from latentcv.nn.smooth_attention import SmoothGraphAttention


@dataclass
class EncoderConfig:
    """Sizes and physical parameters of a :class:`HierarchicalEncoder`.

    Attributes
    ----------
    atom_dim, node_dim, latent_dim : int
        Sizes of atom embeddings, per-molecule latents h_i and the configuration latent z.
    intra_layers, inter_layers, heads : int
        Message-passing depths of stages 1 and 2, attention heads.
    pooling : str
        ``seeds``, ``diffpool`` or ``mean``.
    seeds, min_seeds, clusters : int
        Seed pooling's k_max and k_min; DiffPool's clusters per molecule.
    cutoff : float
        D_t, nm: molecular centres farther apart are not neighbours.
    switch_on : float
        nm; the switching weight is 1 below it and falls smoothly to 0 at ``cutoff``.
    distance_basis : int
        Gaussians in the expansion of centre distances.
    directions : int
        Learnt direction vectors per molecule for orientation invariants.
    readout : str
        How z pools the h_i: ``attention`` (attention and mean pooling, then an MLP) or ``mean``
        (the mean of a per-molecule MLP of h_i: z of a mixed configuration is then the
        molecule-weighted mix of its parts' latents).
    crystallinity : bool
        Add the per-molecule crystallinity readout p_i (:mod:`latentcv.nn.crystallinity`).
    """

    atom_dim: int = 32
    node_dim: int = 64
    latent_dim: int = 8
    intra_layers: int = 2
    inter_layers: int = 2
    heads: int = 4
    pooling: str = "seeds"
    seeds: int = 4
    min_seeds: int = 1
    clusters: int = 2
    cutoff: float = 0.6
    switch_on: float = 0.45
    distance_basis: int = 16
    directions: int = 2
    readout: str = "attention"
    crystallinity: bool = False

    def to_dict(self) -> dict[str, int | float | str]:
        return asdict(self)


class MolecularGraph(NamedTuple):
    """Directed molecular graph of a batch of frames (both directions of each pair listed).

    ``src``, ``dst``: molecule indices [E]; ``weight``: switching weights [E]; ``distance``: nm [E];
    ``unit``: unit vectors from dst to src, stored by component [3, E]. The first half of the edges
    are the neighbour pairs (i < j within a frame) as dst = i, src = j; the second half are the same
    pairs reversed, in the same order, so pair quantities are computed once
    (:meth:`HierarchicalEncoder.edge_features`).
    """

    src: Tensor
    dst: Tensor
    weight: Tensor
    distance: Tensor
    unit: Tensor


class AtomStage(NamedTuple):
    """Stage 1 of B stacked frames: atom embeddings before (``x0``) and after (``x``) bonded message
    passing [B n, atom_dim], frame-offset ``atom_mol`` [B n] and ``bonds`` [2, B Nb], ``n_mol`` = B M,
    ``bond_length`` [B Nb] nm, molecular ``centres`` [B, M, 3] nm and atom ``offsets`` from their
    centre [B, n, 3] nm."""

    x0: Tensor
    x: Tensor
    atom_mol: Tensor
    n_mol: int
    bonds: Tensor
    bond_length: Tensor
    centres: Tensor
    offsets: Tensor


class MoleculeNodes(NamedTuple):
    """Stage 1 and pooling of B stacked frames: the ``atoms`` stage, the pooled and lifted molecule
    ``nodes`` [B M, node_dim] and the pooling's ``aux_loss`` (scalar). All that the molecule
    autoencoder needs, without the molecular graph and stage 2."""

    atoms: AtomStage
    nodes: Tensor
    aux_loss: Tensor


class EncoderOutput(NamedTuple):
    """What the encoder computes for a batch of B frames of M molecules.

    ``h``: per-molecule latents [B M, node_dim]; ``z``: configuration latents [B, latent_dim];
    ``frame``: frame of each molecule [B M]; ``aux_loss``: pooling's auxiliary loss (scalar);
    ``graph``: the molecular graph; ``nodes``: pooled molecule nodes before stage 2 [B M, node_dim];
    ``atoms0``: atom embeddings before message passing [B n, atom_dim]; ``bond_length``: [B Nb] nm;
    ``centres``: molecular centres [B, M, 3] nm; ``crystallinity``: logits of the per-molecule
    crystallinity p_i [B M] (:mod:`latentcv.nn.crystallinity`), empty [0] without that readout.
    """

    h: Tensor
    z: Tensor
    frame: Tensor
    aux_loss: Tensor
    graph: MolecularGraph
    nodes: Tensor
    atoms0: Tensor
    bond_length: Tensor
    centres: Tensor
    crystallinity: Tensor


@dataclass(frozen=True)
class Deployment:
    """What deploying an encoder (exporting it for an MD engine) needs to know of it, as the encoder
    declares it (:meth:`HierarchicalEncoder.deployment`).

    Attributes
    ----------
    cutoff : float
        D_t, nm: molecular centres farther apart are not neighbours.
    switch_on : float
        nm: the switching weight is 1 below it and falls smoothly to 0 at ``cutoff``.
    pooling_fixed : bool
        Whether the pooling has no discrete step left (the seed pooling's count fixed by
        :meth:`HierarchicalEncoder.fix_pooling`, or a pooling without a count): only then is the
        encoded function smooth.
    fixed_bonds : Tensor[2, Nb] or None
        With stage 1 computed once at fixed bond lengths (:meth:`HierarchicalEncoder.fix_bonds`):
        the bonded atom pairs, as indices of the encoder's atoms (int64, CPU). None otherwise.
    fixed_bond_lengths : Tensor[Nb] or None
        nm, their fixed lengths (CPU), with ``fixed_bonds``.
    """

    cutoff: float
    switch_on: float
    pooling_fixed: bool
    fixed_bonds: Tensor | None = None
    fixed_bond_lengths: Tensor | None = None


class HierarchicalEncoder(torch.nn.Module):
    """Atoms -> molecules -> configuration encoder of periodic molecular systems.

    A frame of M molecules (n atoms, virtual sites excluded) in a periodic box is encoded in three
    stages, each invariant to translation, rotation, periodic re-wrapping and permutation of
    identical molecules, with no count of atoms or molecules built in:

    1. **Atoms.** Each molecule is made whole under the minimum image and its mass-weighted centre
       c_m taken. Atom embeddings x_a start from invariant features (element, mass, radius, charge)
       and pass messages over the molecule's bonds, whose lengths l_ab enter through a Gaussian
       expansion (:class:`~latentcv.nn.intra.IntraMolecularGNN`, PyG's ``TransformerConv``).
    2. **Molecules.** The atoms of each molecule are pooled into one node (seed attention, Lee et
       al. 2019 and Li et al. 2024; DiffPool, Ying et al. 2018; or the mean;
       :mod:`latentcv.nn.pooling`) and lifted to ``node_dim``. Learnt direction vectors
       u_mk = v_mk / sqrt(|v_mk|² + ε²), v_mk = Σ_a g_k(x_a) (r_a − c_m), give each molecule an
       orientation (:class:`~latentcv.nn.orientation.MolecularDirections`).
    3. **Configuration.** The molecular graph joins centres closer than the cutoff D_t (minimum
       image; a Verlet list between calls, :class:`~latentcv.geometry.verlet.VerletPairs`). Each
       edge i-j has the switching weight w_ij = s(|r_ij|), 1 below ``switch_on`` and falling to 0 at
       ``cutoff`` with zero first and second derivatives
       (:func:`~latentcv.geometry.switching.switch_polynomial`), and the features
       e_ij = w_ij [φ(|r_ij|), u_ik·u_jl, u_ik·r̂_ij, u_jl·r̂_ij] (a Gaussian expansion φ of the
       distance and the orientation invariants). Switching-weighted attention layers
       (:class:`~latentcv.nn.smooth_attention.SmoothGraphAttention`) update the nodes into the
       per-molecule latents h_i, and :class:`~latentcv.nn.readout.ConfigurationReadout` pools them
       into the configuration latent z = W [Σ_i a_i h_i, mean_i h_i], a = softmax_i(score(h_i)).

    Only invariant quantities enter the networks (element features, bond lengths, centre distances,
    dot products of molecular directions), and every neighbour enters and leaves the graph with a
    weight that goes smoothly to zero, so h_i and z are smooth, invariant functions of the
    positions: a CV built on them has continuous forces.

    The topology (atom features, bonds, atom -> molecule map, masses, species) lives in buffers
    (:data:`TOPOLOGY_BUFFERS`, set by :meth:`set_topology`); the weights do not depend on it, so one
    trained encoder serves any system size of the same chemistry. For MD that constrains every
    bond, :meth:`fix_bonds` computes stage 1 and the pooling once (:mod:`latentcv.nn.fixed_bonds`).
    What an export needs to know of the encoder it declares in :meth:`deployment`.

    Parameters
    ----------
    feature_dim : int
        Size of the invariant atom features the data layer produces
        (:func:`latentcv.nn.inputs.feature_dim`).
    config : EncoderConfig
        Sizes and cutoffs (``cutoff`` D_t and ``switch_on`` in nm).

    Notes
    -----
    ``forward(positions[B, n, 3], box[B, 3, 3]) -> EncoderOutput`` with positions and box vectors
    (rows, reduced form) in nm; ``h`` is ``[B M, node_dim]`` and ``z`` ``[B, latent_dim]``. The box
    must be wider than twice the cutoff.

    References
    ----------
    Lee et al., "Set Transformer", ICML 2019 (pooling by multihead attention). Ying et al.,
    "Hierarchical graph representation learning with differentiable pooling", NeurIPS 2018.
    Shi et al., "Masked label prediction: unified message passing model for semi-supervised
    classification", IJCAI 2021 (``TransformerConv``).
    """

    #: Buffers that describe the system encoded, not the model: its topology (:meth:`set_topology`)
    #: and stage 1 at fixed bond lengths (:meth:`fix_bonds`; empty while stage 1 runs at every call).
    #: Set per system, so a saved model leaves them out (:mod:`latentcv.nn.bundle`).
    TOPOLOGY_BUFFERS = ("features", "masses", "atom_mol", "bonds", "species", "reference_atom", "fixed_nodes",
                        "fixed_direction_weights", "fixed_bond_length")
    #: Those of :data:`TOPOLOGY_BUFFERS` that hold indices (int64); the others are float.
    INDEX_BUFFERS = ("atom_mol", "bonds", "species", "reference_atom")
    #: Those that :meth:`fix_bonds` fills.
    FIXED_BOND_BUFFERS = ("fixed_nodes", "fixed_direction_weights", "fixed_bond_length")

    __jit_ignored_attributes__ = ["config", "TOPOLOGY_BUFFERS", "INDEX_BUFFERS", "FIXED_BOND_BUFFERS"]

    def __init__(self, feature_dim: int, config: EncoderConfig) -> None:
        super().__init__()
        c = config
        if not 0.0 < c.switch_on < c.cutoff:
            raise ValueError(f"need 0 < switch_on ({c.switch_on}) < cutoff ({c.cutoff})")
        self.config = c
        self.cutoff = c.cutoff
        self.switch_on = c.switch_on
        self.intra = IntraMolecularGNN(feature_dim, c.atom_dim, c.intra_layers, c.heads)
        pool_options: dict[str, int | float] = {}
        if c.pooling == "seeds":
            pool_options = {"seeds": c.seeds, "min_seeds": c.min_seeds}
        elif c.pooling == "diffpool":
            pool_options = {"clusters": c.clusters}
        self.pool = make_pooling(c.pooling, c.atom_dim, **pool_options)
        self.lift = torch.nn.Linear(c.atom_dim, c.node_dim)
        self.directions = MolecularDirections(c.atom_dim, c.directions)
        self.distance_basis = GaussianBasis(c.distance_basis, c.cutoff)
        edge_dim = c.distance_basis + self.directions.relation_dim
        self.inter = torch.nn.ModuleList(
            [SmoothGraphAttention(c.node_dim, edge_dim, c.heads) for _ in range(c.inter_layers)]
        )
        # edge features of a pair seen from its second molecule = edge_reversal @ those seen from the first
        reversal = torch.block_diag(torch.eye(c.distance_basis), self.directions.reversal())
        self.register_buffer("edge_reversal", reversal, persistent=False)
        self.readout = ConfigurationReadout(c.node_dim, c.latent_dim, c.readout)
        self.crystallinity = CrystallinityReadout(c.node_dim, c.node_dim) if c.crystallinity else None
        self.pairs = VerletPairs(c.cutoff)  # skin 0 (a search per call) unless set for export
        for name in self.TOPOLOGY_BUFFERS:
            empty = torch.zeros(0, dtype=torch.long) if name in self.INDEX_BUFFERS else torch.zeros(0)
            self.register_buffer(name, empty)

    @torch.jit.unused
    def set_topology(
        self, features: Tensor, atom_mol: Tensor, bonds: Tensor, masses: Tensor, species: Tensor
    ) -> None:
        """Store the topology of the system to encode.

        Parameters
        ----------
        features : Tensor[n, feature_dim]
            Invariant atom features (virtual sites excluded).
        atom_mol : Tensor[n]
            Molecule index of each atom, 0 .. M-1.
        bonds : Tensor[2, Nb]
            Bonded atom pairs.
        masses : Tensor[n]
            dalton.
        species : Tensor[M]
            Species index of each molecule (identical molecules share one).
        """
        device = self.distance_basis.centres.device
        n_mol = int(species.shape[0])
        first = torch.full((n_mol,), features.shape[0], dtype=torch.long)
        first = first.scatter_reduce(0, atom_mol.long(), torch.arange(features.shape[0]), "amin")
        self.features = features.to(device, torch.float32)
        self.atom_mol = atom_mol.to(device, torch.long)
        self.bonds = bonds.to(device, torch.long)
        self.masses = masses.to(device, torch.float32)
        self.species = species.to(device, torch.long)
        self.reference_atom = first.to(device)
        for name in self.FIXED_BOND_BUFFERS:
            setattr(self, name, torch.zeros(0, device=device))

    @torch.jit.unused
    def set_pair_skin(self, skin: float) -> None:
        """Keep the molecular neighbour pairs between calls on single frames (a Verlet list with
        this ``skin``, nm; 0 searches at every call). The encoded function does not change; repeated
        calls on one moving system, as in MD, get cheaper (:class:`latentcv.geometry.verlet.VerletPairs`)."""
        self.pairs = VerletPairs(self.cutoff, skin)

    @torch.jit.unused
    def fix_bonds(self, bond_length: Tensor, tolerance: float = LENGTH_TOLERANCE) -> Tensor:
        """Compute stage 1, the pooling and the direction weights once, at fixed bond lengths, for MD
        that constrains every bond (:mod:`latentcv.nn.fixed_bonds`); later calls skip them. Call it
        after :meth:`fix_pooling`; :meth:`set_topology` undoes it.

        Parameters
        ----------
        bond_length : Tensor[Nb]
            nm, the length of each of the topology's bonds: the System's constraint lengths, or the
            bond lengths of a structure. Each is replaced by the mean over its equivalent bonds (the
            same two atoms of molecules of the same species).
        tolerance : float
            nm; the most a length may differ from the mean of its equivalent bonds.

        Returns
        -------
        Tensor[Nb]
            The fixed bond lengths, nm.

        Raises
        ------
        ValueError
            When equivalent bonds differ by more than ``tolerance``: the molecules are not rigid.
        """
        with torch.no_grad():
            n_mol, weight = self.species.shape[0], self.lift.weight
            classes = bond_classes(self.bonds, self.atom_mol, self.species)
            lengths, spread = class_means(bond_length.to(weight), classes)
            if spread > tolerance:
                raise ValueError(f"equivalent bonds differ by up to {spread:.2g} nm (more than {tolerance:g} nm): "
                                 "the bonds are not constrained")
            _, x = self.intra(self.features.to(weight), self.bonds, lengths)
            pooled, _ = self.pool(x, self.atom_mol, n_mol, self.species, self.bonds)
            # rows of the first molecule of each species, so that identical molecules are identical
            atoms = canonical_atoms(self.atom_mol, self.species)
            molecules = self.atom_mol.index_select(0, atoms.index_select(0, self.reference_atom))
            self.fixed_nodes = self.lift(pooled).index_select(0, molecules)
            self.fixed_direction_weights = self.directions.weights(x).index_select(0, atoms)
            self.fixed_bond_length = lengths
        return lengths

    def bonds_fixed(self) -> bool:
        """Whether :meth:`fix_bonds` has stored stage 1's results (then calls skip stage 1)."""
        return self.fixed_nodes.numel() > 0

    def deployment(self) -> Deployment:
        """What an export needs to know of this encoder: cutoffs, whether the pooling is fixed, and
        the fixed bonds (:class:`Deployment`). Eager only."""
        pooling_fixed = not isinstance(self.pool, SeedAttentionPooling) or self.pool.counts_fixed()
        if not self.bonds_fixed():
            return Deployment(self.cutoff, self.switch_on, pooling_fixed)
        return Deployment(self.cutoff, self.switch_on, pooling_fixed, self.bonds.cpu(), self.fixed_bond_length.cpu())

    @torch.jit.unused
    def fix_pooling(self, positions: Tensor, box: Tensor) -> None:
        """Fix the seed pooling's learnt seed count per species for export: the most frequent
        rounded count over these frames (``positions[B, n, 3]``, ``box[B, 3, 3]``, nm). Other
        poolings have nothing to fix."""
        if not isinstance(self.pool, SeedAttentionPooling):
            return
        with torch.no_grad():
            atoms = self.stage_one(positions, box)
            _, k = self.pool.counts(atoms.x, atoms.atom_mol, atoms.n_mol)
            species = self.species.repeat(positions.shape[0])
            fixed = torch.stack([torch.mode(k[species == s]).values for s in range(int(self.species.max()) + 1)])
        self.pool.fix_counts(fixed)

    def molecular_graph(self, centres: Tensor, box: Tensor) -> MolecularGraph:
        """Neighbour pairs of molecular centres ``[B, M, 3]`` in boxes ``[B, 3, 3]`` (nm), with
        frame offsets applied to the molecule indices. A single frame goes through the Verlet list
        (:meth:`set_pair_skin`); batches of frames are searched frame by frame."""
        n_frames, n_mol = centres.shape[0], centres.shape[1]
        widths = torch.stack([box[:, 0, 0], box[:, 1, 1], box[:, 2, 2]], dim=1)  # reduced-form box widths
        if bool((widths < 2.0 * self.cutoff).any()):
            raise RuntimeError(
                f"the box is narrower than twice the molecular cutoff {self.cutoff} nm: the minimum image "
                "would miss neighbours; use a bigger system"
            )
        if n_frames == 1:
            i, j, dr, distance = self.pairs(centres[0], box[0])
        else:
            firsts, seconds, vecs, lengths = [], [], [], []
            for f in range(n_frames):
                fi, fj, fdr, fdist = neighbour_pairs(centres[f], box[f], self.cutoff)
                firsts.append(fi + f * n_mol)
                seconds.append(fj + f * n_mol)
                vecs.append(fdr)
                lengths.append(fdist)
            i, j, dr, distance = torch.cat(firsts), torch.cat(seconds), torch.cat(vecs), torch.cat(lengths)
        weight = switch_polynomial(distance, self.switch_on, self.cutoff)
        # by component: the pair search computes dr so (dr.t() is contiguous for one frame)
        unit = dr.t() / distance
        return MolecularGraph(torch.cat([j, i]), torch.cat([i, j]), torch.cat([weight, weight]),
                              torch.cat([distance, distance]), torch.cat([unit, -unit], dim=1))

    def edge_features(self, graph: MolecularGraph, u: Tensor) -> Tensor:
        """Switching-weighted invariant features ``[E, edge_dim]`` of the graph's edges: the distance
        expansion and the orientation relations of the molecules' direction vectors ``u[B M,
        directions, 3]``. Computed once per pair; the reversed second half takes them through
        ``edge_reversal`` (the relations seen from the other molecule, the same distance)."""
        pairs = graph.src.shape[0] // 2
        # assembled feature-major, [edge_dim, P], where every product runs over contiguous pairs
        radial = self.distance_basis(graph.distance[:pairs]).t()
        relations = self.directions.relations(u, graph.dst[:pairs], graph.src[:pairs], graph.unit[:, :pairs])
        forward = graph.weight[:pairs] * torch.cat([radial, relations])
        reverse = self.edge_reversal.to(forward.dtype) @ forward
        return torch.cat([forward, reverse], dim=1).t()

    def whole_molecules(self, positions: Tensor, box: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Whole molecules ``[B, n, 3]``, their centres ``[B, M, 3]`` and the atoms' offsets from
        their centre ``[B, n, 3]`` (nm) of B frames (``positions[B, n, 3]``, ``box[B, 3, 3]``, nm)."""
        whole = make_whole(positions, box, self.atom_mol, self.reference_atom)
        centres = centres_of_whole(whole, self.atom_mol, self.masses, self.species.shape[0])
        return whole, centres, whole - gather_rows(centres, self.atom_mol)

    def frame_atom_mol(self, n_frames: int) -> Tensor:
        """Molecule of each atom of B stacked frames ``[B n]``, offset by f M in frame f."""
        if n_frames == 1:
            return self.atom_mol
        n_atoms, n_mol = self.atom_mol.shape[0], self.species.shape[0]
        return self.atom_mol.repeat(n_frames) + _frame_of_rows(n_frames, n_atoms, self.atom_mol.device) * n_mol

    def stage_one(self, positions: Tensor, box: Tensor) -> AtomStage:
        """Whole molecules, centres and stage-1 atom embeddings of B frames (``positions[B, n, 3]``,
        ``box[B, 3, 3]``, nm); atoms and molecules of frame f are offset by f n and f M."""
        n_frames, n_atoms = positions.shape[0], positions.shape[1]
        whole, centres, offsets = self.whole_molecules(positions, box)
        bond_vec = whole[:, self.bonds[1]] - whole[:, self.bonds[0]]
        bond_length = torch.sqrt((bond_vec * bond_vec).sum(-1)).reshape(-1)
        bonds = torch.cat([self.bonds + f * n_atoms for f in range(n_frames)], dim=1)
        features = self.features.to(positions.dtype).repeat(n_frames, 1)
        x0, x = self.intra(features, bonds, bond_length)
        return AtomStage(x0, x, self.frame_atom_mol(n_frames), n_frames * self.species.shape[0], bonds, bond_length,
                         centres, offsets)

    def molecule_nodes(self, positions: Tensor, box: Tensor) -> MoleculeNodes:
        """Stage 1, pooling and lift of B frames (``positions[B, n, 3]``, ``box[B, 3, 3]``, nm): the
        part of :meth:`forward` before the molecular graph, and all the molecule stage trains."""
        a = self.stage_one(positions, box)
        pooled, aux_loss = self.pool(a.x, a.atom_mol, a.n_mol, self.species.repeat(positions.shape[0]), a.bonds)
        return MoleculeNodes(a, self.lift(pooled), aux_loss)

    def forward(self, positions: Tensor, box: Tensor) -> EncoderOutput:
        """Encode B frames.

        Parameters
        ----------
        positions : Tensor[B, n, 3]
            Positions of the topology's atoms (virtual sites excluded), nm.
        box : Tensor[B, 3, 3]
            Box vectors as rows, reduced form, nm.
        """
        n_frames, n_mol = positions.shape[0], self.species.shape[0]
        if self.bonds_fixed():
            _, centres, offsets = self.whole_molecules(positions, box)
            atom_mol = self.frame_atom_mol(n_frames)
            nodes = _stacked(self.fixed_nodes.to(positions.dtype), n_frames)
            g = _stacked(self.fixed_direction_weights.to(positions.dtype), n_frames)
            atoms0 = _stacked(self.intra.embed(self.features.to(positions.dtype)), n_frames)
            bond_length = _stacked(self.fixed_bond_length.to(positions.dtype), n_frames)
            aux_loss = torch.zeros((), dtype=positions.dtype, device=positions.device)
        else:
            m = self.molecule_nodes(positions, box)
            a, nodes, aux_loss = m.atoms, m.nodes, m.aux_loss
            centres, offsets, atom_mol, atoms0, bond_length = a.centres, a.offsets, a.atom_mol, a.x0, a.bond_length
            g = self.directions.weights(a.x)

        # concatenation: the molecular graph with smooth weights and invariant edge features
        graph = self.molecular_graph(centres, box)
        u = self.directions.vectors(g, offsets.reshape(-1, 3), atom_mol, n_frames * n_mol)
        edge_attr = self.edge_features(graph, u)
        h = nodes
        for layer in self.inter:
            h = layer(h, graph.src, graph.dst, graph.weight, edge_attr)
        frame = _frame_of_rows(n_frames, n_mol, positions.device)
        z = self.readout(h, frame, n_frames)
        crystallinity = torch.zeros(0, dtype=h.dtype, device=h.device)
        if self.crystallinity is not None:
            crystallinity = self.crystallinity(h, graph.src, graph.dst, graph.weight)
        return EncoderOutput(h, z, frame, aux_loss, graph, nodes, atoms0, bond_length, centres, crystallinity)


def _frame_of_rows(n_frames: int, rows: int, device: torch.device) -> Tensor:
    """Frame index ``[B rows]`` (int64) of each row of B stacked frames of ``rows`` rows each."""
    return torch.div(torch.arange(n_frames * rows, device=device), rows, rounding_mode="floor")


def _stacked(rows: Tensor, n_frames: int) -> Tensor:
    """``rows[k, ...]`` repeated for B frames along the first axis, ``[B k, ...]``; one frame (an
    exported CV) takes them as they are, without a copy."""
    if n_frames == 1:
        return rows
    return torch.cat([rows] * n_frames)
