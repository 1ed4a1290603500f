"""SmoothGraphAttention under torch.jit.freeze, which openmm-torch applies to every TorchForce module."""

import torch
from torch.profiler import ProfilerActivity, profile

from latentcv.nn.smooth_attention import SmoothGraphAttention


def test_freezing_keeps_the_stabiliser_out_of_the_backward() -> None:
    """``torch.jit.freeze`` deletes ``detach()`` calls, so a stabiliser computed from detached logits
    would be differentiated in OpenMM (a scatter_reduce backward per call, for a term that cancels).
    Computed under no_grad it stays out of autograd: the frozen layer's backward runs no
    ScatterReduceBackward, and its gradients equal the eager layer's (1e-12, float64)."""
    torch.manual_seed(0)
    layer = SmoothGraphAttention(8, 4, heads=2).double().eval()
    frozen = torch.jit.freeze(torch.jit.script(layer))
    n, edges = 12, 40
    src, dst = torch.randint(0, n, (edges,)), torch.randint(0, n, (edges,))
    weight = torch.rand(edges, dtype=torch.float64)
    edge_attr = torch.randn(edges, 4, dtype=torch.float64)
    h = torch.randn(n, 8, dtype=torch.float64)
    gradients = []
    for module in (layer, frozen, frozen, frozen):  # the last run is optimised and profiled
        x = h.clone().requires_grad_(True)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            (module(x, src, dst, weight, edge_attr) ** 2).sum().backward()
        gradients.append(x.grad)
    names = {event.key for event in prof.key_averages()}
    assert not any("ScatterReduceBackward" in name for name in names), sorted(names)
    for gradient in gradients[1:]:
        torch.testing.assert_close(gradient, gradients[0], rtol=0, atol=1e-12)
