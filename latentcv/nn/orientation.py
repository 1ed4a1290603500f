"""Orientation-invariant relations between two molecules.

Each molecule gets a few learnt direction vectors u_mk = v_mk / sqrt(|v_mk|² + ε²) with
v_mk = Σ_a g_k(x_a) (r_a − c_m): sums of its atoms' displacements from the molecular centre weighted
by functions of their invariant embeddings x_a. They rotate with the molecule and do not change when
equivalent atoms (same embedding) are permuted; for water they span the dipole direction. For a pair
(i, j) with unit vector r̂ from i to j the invariants are u_ik·u_jl, u_ik·r̂ and u_jl·r̂.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter


class MolecularDirections(torch.nn.Module):
    """Learnt direction vectors per molecule and the invariant relations of molecule pairs.

    Parameters
    ----------
    atom_dim : int
        Size of the atom embeddings the weights g_k are computed from.
    directions : int
        Number of vectors per molecule.
    epsilon : float
        Length (nm) below which a vector is damped towards zero instead of normalised.
    """

    def __init__(self, atom_dim: int, directions: int = 2, epsilon: float = 0.005) -> None:
        super().__init__()
        self.directions = directions
        self.weights = torch.nn.Linear(atom_dim, directions)
        self.epsilon = epsilon

    @property
    def relation_dim(self) -> int:
        """Number of invariants per molecule pair."""
        return self.directions * self.directions + 2 * self.directions

    def vectors(self, g: Tensor, offsets: Tensor, atom_mol: Tensor, n_mol: int) -> Tensor:
        """Unit-ish vectors ``[n_mol, directions, 3]`` from the atoms' weights ``g[Na, directions]``
        (``self.weights`` of their embeddings) and displacements from their molecular centre
        ``offsets[Na, 3]`` (nm)."""
        v = scatter(g.unsqueeze(-1) * offsets.unsqueeze(1), atom_mol, dim=0, dim_size=n_mol)
        return v / torch.sqrt((v * v).sum(-1, keepdim=True) + self.epsilon**2)

    def relations(self, u: Tensor, first: Tensor, second: Tensor, unit: Tensor) -> Tensor:
        """Invariants ``[relation_dim, P]`` of molecule pairs, seen from the first molecule.

        Parameters
        ----------
        u : Tensor[n_mol, directions, 3]
            Direction vectors (:meth:`vectors`).
        first, second : Tensor[P]
            The molecules i and j of each pair.
        unit : Tensor[3, P]
            Unit vectors from i to j, by component.

        Returns
        -------
        Tensor[relation_dim, P]
            ``(u_ik·u_jl for k, l; u_ik·r̂; u_jl·r̂)``, pairs along the last axis (transpose for one
            row per pair). Seen from j they are ``reversal() @`` these.
        """
        k = self.directions
        # One Gram matrix per pair of the vectors (u_i1 .. u_iK, r̂) against (u_j1 .. u_jK, r̂), laid
        # out [K+1, 3, P] so that every elementwise product and sum runs over contiguous pairs: with
        # the 3 components innermost, PyTorch's CPU kernels (and einsum's batched 3 x 3 products)
        # cost several times more for the same numbers.
        a = torch.cat([u.index_select(0, first).permute(1, 2, 0), unit.unsqueeze(0)])
        b = torch.cat([u.index_select(0, second).permute(1, 2, 0), unit.unsqueeze(0)])
        gram = (a.unsqueeze(1) * b.unsqueeze(0)).sum(2)  # [K+1, K+1, P]
        return torch.cat([gram[:k, :k].reshape(k * k, -1), gram[:k, k], gram[k, :k]])

    def reversal(self) -> Tensor:
        """The signed permutation ``[relation_dim, relation_dim]`` that turns the relations of a pair
        seen from i (:meth:`relations` of i, j, r̂) into those seen from j (of j, i, -r̂): the mutual
        products transposed, the projections swapped and negated. Exact, as every entry is 0 or ±1."""
        k = self.directions
        n = self.relation_dim
        matrix = torch.zeros(n, n)
        for a in range(k):
            for b in range(k):
                matrix[a * k + b, b * k + a] = 1.0
            matrix[k * k + a, k * k + k + a] = -1.0
            matrix[k * k + k + a, k * k + a] = -1.0
        return matrix
