"""TorchScript compilation, float32/float64, and finite gradients at zero distance."""

import numpy as np
import pytest
import torch

import latentcv.geometry as geometry
from tests.geometry.reference import random_box, random_points


@pytest.mark.parametrize("name", geometry.__all__)
def test_every_public_function_scripts(name):
    member = getattr(geometry, name)
    if isinstance(member, type) and issubclass(member, torch.nn.Module):
        torch.jit.script(member(0.5))  # a module scripts as an instance (VerletPairs(cutoff))
    elif callable(member):
        torch.jit.script(member)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtypes_agree_and_are_kept(dtype):
    rng = np.random.default_rng(2)
    box64 = random_box(rng, triclinic=True)
    points64 = random_points(rng, 80, box64)
    box, points = box64.to(dtype), points64.to(dtype)
    scripted = torch.jit.script(geometry.neighbour_pairs)
    i, j, dr, dist = scripted(points, box, 0.7)
    i64, j64, _, dist64 = geometry.neighbour_pairs(points64, box64, 0.7)
    assert dr.dtype == dtype and dist.dtype == dtype
    assert torch.equal(i, i64) and torch.equal(j, j64)
    assert torch.allclose(dist.double(), dist64, atol=1e-5)
    s = geometry.switch_polynomial(dist, 0.5, 0.7)
    assert s.dtype == dtype
    molecules = torch.arange(80) // 4
    com = geometry.centres_of_mass(points, box, molecules, torch.arange(20) * 4, torch.ones(80))
    assert com.dtype == dtype


def test_gradients_finite_at_zero_distance():
    box = torch.diag(torch.tensor([3.0, 3.0, 3.0], dtype=torch.float64))
    points = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.2, 1.0, 1.0]], dtype=torch.float64)
    points.requires_grad_(True)
    _, _, _, dist = geometry.neighbour_pairs(points, box, 1.0)
    assert float(dist[0].detach()) == 0.0
    energy = dist.sum() + geometry.switch_polynomial(dist, 0.0, 1.0).sum()
    energy = energy + geometry.switch_cosine(dist, 0.0, 1.0).sum()
    one_molecule = torch.zeros(3, dtype=torch.long)
    com = geometry.centres_of_mass(points, box, one_molecule, torch.tensor([0]), torch.ones(3))
    (grad,) = torch.autograd.grad(energy + com.sum(), points)
    assert torch.isfinite(grad).all()


def test_safe_norm_value_and_gradient_at_zero():
    zero = torch.zeros(2, 3, requires_grad=True)
    norm = geometry.safe_norm(zero)
    (grad,) = torch.autograd.grad(norm.sum(), zero)
    assert torch.equal(norm.detach(), torch.zeros(2))
    assert torch.equal(grad, torch.zeros(2, 3))
    assert float(geometry.safe_norm(torch.tensor([3.0, 4.0, 0.0]))) == 5.0
    assert torch.equal(geometry.safe_norm(torch.tensor([[3.0, 0.0], [4.0, 0.0]]), dim=0), torch.tensor([5.0, 0.0]))
