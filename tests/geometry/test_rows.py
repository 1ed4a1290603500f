"""Row gathers and sums (``gather_rows``, ``sum_rows``): the same numbers as ``index_select`` and
``index_add`` along the row axis, values and gradients, for one frame (the fast path) and several."""

import pytest
import torch

from latentcv.geometry import gather_rows, sum_rows


@pytest.mark.parametrize("shape", [(1, 30, 3), (4, 30, 3), (30, 3), (2, 3, 30, 5)])
def test_rows_equal_index_select_and_index_add_bit_for_bit(shape):
    gen = torch.Generator().manual_seed(len(shape) + shape[0])
    x = torch.randn(shape, generator=gen, dtype=torch.float64, requires_grad=True)
    group = torch.randint(0, 7, (shape[-2],), generator=gen)
    picked = torch.randint(0, shape[-2], (45,), generator=gen)
    ours = [gather_rows(x, picked), sum_rows(x, group, 9)]
    plain = [x.index_select(-2, picked), torch.zeros(*shape[:-2], 9, shape[-1], dtype=x.dtype).index_add(-2, group, x)]
    for a, b in zip(ours, plain):
        assert a.shape == b.shape and torch.equal(a, b)
        weights = torch.randn(a.shape, generator=gen, dtype=torch.float64)
        (grad_a,) = torch.autograd.grad((weights * a).sum(), x)
        (grad_b,) = torch.autograd.grad((weights * b).sum(), x)
        assert torch.equal(grad_a, grad_b)
    assert torch.equal(sum_rows(x, group, 9)[..., 7:, :], torch.zeros(*shape[:-2], 2, shape[-1], dtype=x.dtype))
