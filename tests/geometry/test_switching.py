"""Switching functions: values, continuity of value and slope at r_on and r_cut, zero beyond."""

import pytest
import torch

from latentcv.geometry import switch_cosine, switch_polynomial

R_ON, R_CUT = 0.6, 0.9
EPS = 1e-7


def value_and_slope(switch, r: float):
    x = torch.tensor([r], dtype=torch.float64, requires_grad=True)
    s = switch(x, R_ON, R_CUT)
    (g,) = torch.autograd.grad(s.sum(), x)
    return float(s.detach()), float(g)


@pytest.mark.parametrize("switch", [switch_polynomial, switch_cosine])
@pytest.mark.parametrize("edge, inside_value", [(R_ON, 1.0), (R_CUT, 0.0)])
def test_value_and_derivative_continuous_at_edges(switch, edge, inside_value):
    below = value_and_slope(switch, edge - EPS)
    at = value_and_slope(switch, edge)
    above = value_and_slope(switch, edge + EPS)
    for value, slope in (below, at, above):
        assert value == pytest.approx(inside_value, abs=1e-6)
        assert abs(slope) < 1e-5  # slope -> 0 at both edges (a jump would be ~3 / nm)


@pytest.mark.parametrize("switch", [switch_polynomial, switch_cosine])
def test_exactly_zero_with_zero_gradient_beyond_cutoff(switch):
    r = torch.tensor([R_CUT, 1.0, 5.0], dtype=torch.float64, requires_grad=True)
    s = switch(r, R_ON, R_CUT)
    (g,) = torch.autograd.grad(s.sum(), r)
    assert torch.equal(s, torch.zeros(3, dtype=torch.float64))
    assert torch.equal(g, torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("switch", [switch_polynomial, switch_cosine])
def test_monotone_between_edges_and_one_inside(switch):
    r = torch.linspace(0.0, 1.2, 1201, dtype=torch.float64)
    s = switch(r, R_ON, R_CUT)
    assert torch.all(s[r <= R_ON] == 1.0)
    assert torch.all(s.diff() <= 1e-15)
    assert float(switch(torch.tensor(0.75, dtype=torch.float64), R_ON, R_CUT)) == pytest.approx(0.5)


def test_polynomial_second_derivative_vanishes_at_edges():
    # C2: d2s/dr2 inside the switching range tends to 0 at both edges (it is ~60 t / w^2 nearby)
    for r in (R_ON + 1e-6, R_CUT - 1e-6):
        x = torch.tensor(r, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(switch_polynomial(x, R_ON, R_CUT), x, create_graph=True)
        (h,) = torch.autograd.grad(g, x)
        assert abs(float(h)) < 1e-2
    middle = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(switch_polynomial(middle, R_ON, R_CUT), middle, create_graph=True)
    (h,) = torch.autograd.grad(g, middle)
    assert abs(float(h)) > 10.0  # the check above is not trivially satisfied


def test_rejects_r_on_not_below_r_cut():
    with pytest.raises(ValueError, match="r_on < r_cut"):
        switch_polynomial(torch.tensor([0.5]), 0.9, 0.9)
