"""Graph attention whose neighbours fade in and out smoothly at the cutoff
(:class:`SmoothGraphAttention`, whose docstring gives the update rule)."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from latentcv.nn.mlp import mlp


class SmoothGraphAttention(torch.nn.Module):
    """Multi-head attention message passing with switching-weighted edges, residual and LayerNorm.

    PyG's attention layers (``TransformerConv``, ``GATConv``) normalise attention over whatever edges
    exist, so a neighbour that crosses the cutoff switches its share of attention on or off in one
    step: the CV and its forces would jump. Here each edge's attention is multiplied by its
    switching weight w_ij (1 inside the smooth region, 0 at the cutoff with zero slope) and every
    node attends to itself with weight 1. Per head, with queries, keys and values
    q_i = W_q h_i + b_q, k_j = W_k h_j + b_k, v_j = W_v h_j + b_v, the edge features e_ij added to
    the neighbour's key and value as in ``TransformerConv``, and d the head size:

        k_ij = k_j + U_k e_ij,   v_ij = v_j + U_v e_ij,
        ε_ij = q_i · k_ij / √d,   ε_ii = q_i · k_i / √d,
        α_ij = w_ij exp(ε_ij) / (exp(ε_ii) + Σ_k w_ik exp(ε_ik)),   α_ii = exp(ε_ii) / (same),
        m_i = α_ii v_i + Σ_j α_ij v_ij   (heads concatenated),
        h_i' = LayerNorm(h_i + MLP(m_i)).

    An edge at the cutoff contributes nothing and its contribution grows smoothly from zero, so h'
    is as smooth in the positions as w_ij and e_ij are. The largest logit per node is subtracted
    before the exponentials (it cancels in the ratio and carries no gradient).

    Parameters
    ----------
    dim : int
        Node feature size (divisible by ``heads``).
    edge_dim : int
        Edge feature size; edge features must vanish at the cutoff too (multiply them by w_ij).
    heads : int
        Number of attention heads.

    Notes
    -----
    ``forward(h[n, dim], src[E], dst[E], weight[E], edge_attr[E, edge_dim]) -> [n, dim]``, with the
    directed edges j -> i given as ``src = j``, ``dst = i``.

    References
    ----------
    Vaswani et al., "Attention is all you need", NeurIPS 2017 (scaled dot-product attention,
    residual and layer normalisation). Shi et al., "Masked label prediction: unified message passing
    model for semi-supervised classification", IJCAI 2021 (edge features in keys and values, PyG's
    ``TransformerConv``). Veličković et al., "Graph attention networks", ICLR 2018.
    """

    def __init__(self, dim: int, edge_dim: int, heads: int = 4) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by heads {heads}")
        self.heads = heads
        self.head_dim = dim // heads
        self.query = torch.nn.Linear(dim, dim)
        self.key = torch.nn.Linear(dim, dim)
        self.value = torch.nn.Linear(dim, dim)
        self.edge_key = torch.nn.Linear(edge_dim, dim, bias=False)
        self.edge_value = torch.nn.Linear(edge_dim, dim, bias=False)
        self.update = mlp([dim, dim, dim])
        self.norm = torch.nn.LayerNorm(dim)

    def forward(self, h: Tensor, src: Tensor, dst: Tensor, weight: Tensor, edge_attr: Tensor) -> Tensor:
        """New node features.

        Parameters
        ----------
        h : Tensor[n, dim]
            Node features.
        src, dst : Tensor[E]
            Directed edges j -> i as (src = j, dst = i); list both directions for an undirected pair.
        weight : Tensor[E]
            Switching weight of each edge, in [0, 1].
        edge_attr : Tensor[E, edge_dim]
            Edge features.
        """
        n, n_edges, dim = h.shape[0], src.shape[0], self.heads * self.head_dim
        shape, edge_shape = (n, self.heads, self.head_dim), (n_edges, self.heads, self.head_dim)
        # each input through one matrix product (fewer, larger operations, forwards and backwards;
        # frozen for openmm-torch, the concatenated weights are constants)
        nodes = torch.nn.functional.linear(
            h, torch.cat([self.query.weight, self.key.weight, self.value.weight]),
            torch.cat([self.query.bias, self.key.bias, self.value.bias]),
        )
        edges = edge_attr @ torch.cat([self.edge_key.weight, self.edge_value.weight]).t()
        q, k, v = nodes[:, :dim].view(shape), nodes[:, dim:2 * dim].view(shape), nodes[:, 2 * dim:].view(shape)
        # index_select rather than fancy indexing: its backward is a fast index_add on the CPU
        k_edge = k.index_select(0, src) + edges[:, :dim].view(edge_shape)
        v_edge = v.index_select(0, src) + edges[:, dim:].view(edge_shape)
        scale = 1.0 / math.sqrt(self.head_dim)
        logit_edge = (q.index_select(0, dst) * k_edge).sum(-1) * scale  # [E, H]
        logit_self = (q * k).sum(-1) * scale  # [n, H]
        # Stabiliser: the largest logit per node. It cancels exactly in the ratio, so it has no
        # gradient (no_grad rather than detach(), which torch.jit.freeze deletes)
        with torch.no_grad():
            top = logit_self.scatter_reduce(
                0, dst.unsqueeze(-1).expand(n_edges, self.heads), logit_edge, "amax", include_self=True
            )
        a_edge = weight.unsqueeze(-1) * torch.exp(logit_edge - top.index_select(0, dst))
        a_self = torch.exp(logit_self - top)
        denom = a_self.index_add(0, dst, a_edge)
        message = (a_self.unsqueeze(-1) * v).index_add(0, dst, a_edge.unsqueeze(-1) * v_edge)
        out = (message / denom.unsqueeze(-1)).reshape(n, -1)
        return self.norm(h + self.update(out))
