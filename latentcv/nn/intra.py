"""Stage 1: message passing inside each molecule, over its bonds.

Atoms start from invariant features (element, mass, charge: no coordinates); bonds carry a Gaussian
expansion of their length. Attention over bonded neighbours (PyG's ``TransformerConv`` with edge
features) updates the atoms; the bond graph is fixed, so attention over it is smooth.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.nn import TransformerConv

from latentcv.nn.radial import GaussianBasis


class IntraMolecularGNN(torch.nn.Module):
    """Atom embeddings from bonded message passing.

    Parameters
    ----------
    in_dim : int
        Size of the input atom features.
    dim : int
        Atom embedding size (divisible by ``heads``).
    layers : int
        Number of message-passing layers.
    heads : int
        Attention heads.
    bond_basis : int
        Gaussians in the bond-length expansion.
    max_bond : float
        Longest bond the basis covers, nm.
    """

    def __init__(
        self, in_dim: int, dim: int, layers: int = 2, heads: int = 4, bond_basis: int = 8, max_bond: float = 0.2
    ) -> None:
        super().__init__()
        self.embed = torch.nn.Linear(in_dim, dim)
        self.basis = GaussianBasis(bond_basis, max_bond)
        self.convs = torch.nn.ModuleList(
            [TransformerConv(dim, dim // heads, heads=heads, edge_dim=bond_basis) for _ in range(layers)]
        )
        self.norms = torch.nn.ModuleList([torch.nn.LayerNorm(dim) for _ in range(layers)])

    def forward(self, features: Tensor, bonds: Tensor, bond_length: Tensor) -> tuple[Tensor, Tensor]:
        """Atom embeddings.

        Parameters
        ----------
        features : Tensor[Na, in_dim]
            Invariant atom features.
        bonds : Tensor[2, Nb]
            Bonded atom pairs, each listed once.
        bond_length : Tensor[Nb]
            nm.

        Returns
        -------
        x0 : Tensor[Na, dim]
            Embeddings of the atom features alone (no message passing).
        x : Tensor[Na, dim]
            Embeddings after message passing.
        """
        x0 = self.embed(features)
        edge_index = torch.cat([bonds, bonds.flip(0)], dim=1)
        edge_attr = self.basis(bond_length).repeat(2, 1)
        x = x0
        for conv, norm in zip(self.convs, self.norms):
            x = norm(x + conv(x, edge_index, edge_attr))
        return x0, x
