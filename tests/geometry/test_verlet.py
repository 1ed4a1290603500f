"""The Verlet pair list returns what a new search returns, call after call, and searches rarely."""

import numpy as np
import pytest
import torch

from latentcv.geometry import box_widths, neighbour_pairs
from latentcv.geometry.verlet import VerletPairs
from tests.geometry.reference import random_box, random_points

SKIN = 0.1


def _walk(rng: np.random.Generator, points: torch.Tensor, box: torch.Tensor, steps: int, step_nm: float):
    """Positions of a random walk with steps of ``step_nm`` per axis (nm); now and then a point jumps
    by a whole box vector, as unwrapped or re-wrapped MD positions do."""
    for _ in range(steps):
        points = points + torch.as_tensor(rng.normal(0.0, step_nm, points.shape), dtype=points.dtype)
        jump = torch.as_tensor(rng.integers(-1, 2, points.shape) * (rng.uniform(size=(points.shape[0], 1)) < 0.05),
                               dtype=points.dtype)
        yield points + jump @ box


def _assert_same(got, expected) -> None:
    for a, b in zip(got, expected):
        assert torch.equal(a, b)  # bit for bit: the same pairs, order, displacements and lengths


@pytest.mark.parametrize("triclinic", [False, True])
def test_a_moving_system_gets_the_pairs_of_a_new_search(triclinic) -> None:
    rng = np.random.default_rng(5 + triclinic)
    box = random_box(rng, triclinic)
    cutoff = float(box_widths(box).min()) / 4.0
    points = random_points(rng, 300, box)
    pairs = VerletPairs(cutoff, SKIN)
    steps = 60
    for moved in _walk(rng, points, box, steps, step_nm=0.005):
        _assert_same(pairs(moved, box), neighbour_pairs(moved, box, cutoff))
    # each point moves ~0.009 nm per step: the list lasts some steps and is renewed some times
    assert 2 <= pairs.searches <= steps // 3


def test_gradients_equal_those_of_a_new_search() -> None:
    rng = np.random.default_rng(2)
    box = random_box(rng, triclinic=True)
    points = random_points(rng, 200, box)
    pairs = VerletPairs(0.5, SKIN)
    for moved in _walk(rng, points, box, 3, step_nm=0.002):
        grads = []
        for search in (pairs, lambda p, b: neighbour_pairs(p, b, 0.5)):
            x = moved.clone().requires_grad_(True)
            _, _, dr, dist = search(x, box)
            (dist.pow(3).sum() + dr[:, 0].sum()).backward()
            grads.append(x.grad)
        assert torch.equal(grads[0], grads[1])
    assert pairs.searches == 1


@pytest.mark.parametrize("triclinic", [False, True])
def test_barostat_moves_keep_the_list(triclinic) -> None:
    """Boxes strained by a fraction of a percent with the points scaled alike, as a Monte Carlo
    barostat does (and back, as after a rejected move), mixed with small moves: the kept list gives
    what a new search gives, and no new search is made."""
    rng = np.random.default_rng(8 + triclinic)
    box = random_box(rng, triclinic)
    cutoff = float(box_widths(box).min()) / 4.0
    points = random_points(rng, 200, box)
    pairs = VerletPairs(cutoff, SKIN)
    pairs(points, box)
    for step in range(6):
        scale = torch.as_tensor(1.0 + rng.uniform(-0.003, 0.003, 3), dtype=box.dtype)  # anisotropic
        trial = box * scale.unsqueeze(1) if step % 2 == 0 else box  # every other move is rejected
        moved = points @ torch.linalg.solve(box, trial) + torch.as_tensor(rng.normal(0.0, 0.002, points.shape),
                                                                            dtype=points.dtype)
        _assert_same(pairs(moved, trial), neighbour_pairs(moved, trial, cutoff))
    assert pairs.searches == 1


def test_a_new_system_or_a_strained_box_searches_again() -> None:
    rng = np.random.default_rng(3)
    box = random_box(rng, triclinic=False)
    points = random_points(rng, 150, box)
    pairs = VerletPairs(0.4, SKIN)
    pairs(points, box)
    pairs(points, box)
    assert pairs.searches == 1
    # a 20 % strain uses up the skin ((0.4 + 0.1) x 0.2 x sqrt(3) > 0.1)
    scaled_box, scaled = box * 1.2, points * 1.2
    _assert_same(pairs(scaled, scaled_box), neighbour_pairs(scaled, scaled_box, 0.4))
    assert pairs.searches == 2
    fewer = scaled[:100]
    _assert_same(pairs(fewer, scaled_box), neighbour_pairs(fewer, scaled_box, 0.4))
    assert pairs.searches == 3


def test_without_room_for_the_skin_every_call_searches() -> None:
    rng = np.random.default_rng(4)
    box = random_box(rng, triclinic=True)
    cutoff = float(box_widths(box).min()) / 2.0 - 0.5 * SKIN  # cutoff + skin beyond half the box
    points = random_points(rng, 100, box)
    pairs = VerletPairs(cutoff, SKIN)
    for _ in range(3):
        _assert_same(pairs(points, box), neighbour_pairs(points, box, cutoff))
    assert pairs.searches == 3


def test_the_room_for_the_skin_is_checked_for_every_new_box() -> None:
    """A box too narrow for ``cutoff + skin`` makes every call search; back in the wide box of the
    last list search, that list serves again (the check is redone whenever the box changes)."""
    rng = np.random.default_rng(7)
    wide = random_box(rng, triclinic=True)
    cutoff = float(box_widths(wide).min()) / 2.0 - 2.0 * SKIN
    narrow = wide * (2.0 * (cutoff + 0.5 * SKIN) / float(box_widths(wide).min()))  # room for the cutoff only
    points = random_points(rng, 100, wide)
    pairs = VerletPairs(cutoff, SKIN)
    expected_searches = [1, 1, 2, 3, 3, 3]
    for box, searches in zip([wide, wide, narrow, narrow, wide, wide], expected_searches):
        fitted = points @ torch.linalg.solve(wide, box)  # the same fractional coordinates
        _assert_same(pairs(fitted, box), neighbour_pairs(fitted, box, cutoff))
        assert pairs.searches == searches


def test_scripted_and_saved_it_keeps_its_list(tmp_path) -> None:
    rng = np.random.default_rng(6)
    box = random_box(rng, triclinic=True)
    points = random_points(rng, 120, box)
    path = tmp_path / "pairs.pt"
    torch.jit.script(VerletPairs(0.45, SKIN)).save(str(path))
    pairs = torch.jit.load(str(path))
    for moved in _walk(rng, points, box, 4, step_nm=0.001):
        _assert_same(pairs(moved, box), neighbour_pairs(moved, box, 0.45))
    assert pairs.searches == 1


def test_a_negative_skin_is_refused() -> None:
    with pytest.raises(ValueError, match="skin"):
        VerletPairs(0.5, -0.1)
