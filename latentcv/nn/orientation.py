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

    def vectors(self, x: Tensor, offsets: Tensor, atom_mol: Tensor, n_mol: int) -> Tensor:
        """Unit-ish vectors ``[n_mol, directions, 3]`` from atom embeddings ``x[Na, atom_dim]`` and
        atom displacements from their molecular centre ``offsets[Na, 3]`` (nm)."""
        g = self.weights(x)  # [Na, K]
        v = scatter(g.unsqueeze(-1) * offsets.unsqueeze(1), atom_mol, dim=0, dim_size=n_mol)
        return v / torch.sqrt((v * v).sum(-1, keepdim=True) + self.epsilon**2)

    def relations(self, u: Tensor, first: Tensor, second: Tensor, unit: Tensor) -> tuple[Tensor, Tensor]:
        """Invariants ``[P, relation_dim]`` of molecule pairs, seen from each end.

        Parameters
        ----------
        u : Tensor[n_mol, directions, 3]
            Direction vectors (:meth:`vectors`).
        first, second : Tensor[P]
            The molecules i and j of each pair.
        unit : Tensor[P, 3]
            Unit vectors from i to j.

        Returns
        -------
        forward, reverse : Tensor[P, relation_dim]
            ``(u_ik·u_jl, u_ik·r̂, u_jl·r̂)`` for the edge seen from i (r̂ from i to j), and the same
            invariants seen from j (r̂ from j to i): the transposed products and the negated,
            swapped projections.
        """
        ui, uj = u.index_select(0, first), u.index_select(0, second)
        mutual = torch.einsum("ekx,elx->ekl", ui, uj)  # [P, K, K]: u_ik·u_jl
        along_i = torch.einsum("ekx,ex->ek", ui, unit)
        along_j = torch.einsum("ekx,ex->ek", uj, unit)
        forward = torch.cat([mutual.flatten(1), along_i, along_j], dim=-1)
        reverse = torch.cat([mutual.transpose(1, 2).flatten(1), -along_j, -along_i], dim=-1)
        return forward, reverse
