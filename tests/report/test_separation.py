"""Threshold accuracy, histogram overlap and Fisher ratio against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latentcv.errors import InputError
from latentcv.report.separation import best_threshold, fisher_ratio, separation


def test_disjoint_phases_either_way_round() -> None:
    s = separation([3.0, 4.0, 5.0], [0.0, 1.0, 2.0])
    assert s.threshold.crystal_above and s.threshold.value == 2.5 and s.threshold.accuracy == 1.0
    assert s.overlap == 0.0
    # means 4 and 1, variances 2/3 each: 9 / (4/3)
    assert s.fisher == pytest.approx(6.75)
    assert (s.crystal_mean, s.melt_mean, s.crystal_frames, s.melt_frames) == (4.0, 1.0, 3, 3)
    assert s.crystal_std == pytest.approx(math.sqrt(2 / 3))
    low = best_threshold([0.0, 1.0, 2.0], [3.0, 4.0, 5.0])
    assert not low.crystal_above and low.value == 2.5 and low.accuracy == 1.0


def test_overlapping_phases() -> None:
    crystal, melt = [1.0, 3.0, 4.0, 5.0], [0.0, 2.0, 2.0, 6.0]
    # cut 2.5: crystal above 3/4, melt below 3/4 -> 0.75; every other cut scores at most 0.625
    threshold = best_threshold(crystal, melt)
    assert threshold.value == 2.5 and threshold.crystal_above and threshold.accuracy == 0.75
    # two bins on [0, 6]: crystal 1 | 3 values, melt 3 | 1; densities /(4 * 3); overlap (1 + 1) / 12 * 3
    assert separation(crystal, melt, bins=2).overlap == pytest.approx(0.5)
    # means 3.25 and 2.5, variances 2.1875 and 4.75: 0.5625 / 6.9375 = 9 / 111
    assert fisher_ratio(crystal, melt) == pytest.approx(9 / 111)


def test_balanced_accuracy_ignores_unequal_counts() -> None:
    # one crystal frame above ten melt frames: the cut 0.5 puts every frame on its side
    crystal, melt = [1.0], [0.0] * 10
    assert best_threshold(crystal, melt).accuracy == 1.0
    # crystal 2 of 2 above, melt 9 of 10 below: (1 + 0.9) / 2
    assert best_threshold([5.0, 6.0], [0.0] * 9 + [7.0]).accuracy == pytest.approx(0.95)


def test_degenerate_samples() -> None:
    same = separation([1.0, 1.0], [1.0, 1.0])
    assert same.threshold.accuracy == 0.5 and same.fisher == 0.0 and same.overlap == pytest.approx(1.0)
    apart = separation([2.0, 2.0], [1.0, 1.0])
    assert apart.fisher == math.inf and apart.as_dict()["fisher"] is None and apart.threshold.accuracy == 1.0
    with pytest.raises(InputError):
        separation([], [1.0])
    with pytest.raises(InputError):
        separation([np.nan], [1.0])
