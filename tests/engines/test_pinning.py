"""The pinning estimates without MD: the block-averaged error and the melting-point fit.

Tolerances: an exact line gives Tm to round-off (1e-9 K); the reported error of Tm is a
first-order propagation, which for errors small against |Δμ| matches the spread of Tm over
repeated noisy data sets to within the Monte-Carlo error of that spread (2,000 sets: ±5 % at 3σ is
about 7 %, tested at 10 %).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln

from latentcv.engines.pinning import block_standard_error, fit_melting_point
from latentcv.errors import InputError

T = np.array([250.0, 260.0, 280.0, 290.0])
SLOPE, TM = 0.02, 270.0  # kJ/mol/K (TIP4P/Ice: about 5.4 kJ/mol / 270 K), K


def test_exact_line_gives_its_zero() -> None:
    fit = fit_melting_point(T, SLOPE * (T - TM), np.full(4, 0.05))
    assert fit.tm == pytest.approx(TM, abs=1e-9) and fit.slope == pytest.approx(SLOPE, rel=1e-9)
    assert fit.chi2_per_dof == pytest.approx(0.0, abs=1e-12)
    assert fit_melting_point(T[:2], SLOPE * (T[:2] - TM), np.full(2, 0.05)).chi2_per_dof is None


def test_error_of_tm_matches_the_spread_of_repeated_fits() -> None:
    rng = np.random.default_rng(0)
    sigma = np.array([0.02, 0.03, 0.03, 0.02])
    fits = [fit_melting_point(T, SLOPE * (T - TM) + rng.normal(0.0, sigma), sigma) for _ in range(2000)]
    tm = np.array([f.tm for f in fits])
    unscaled = fit_melting_point(T, SLOPE * (T - TM), sigma).tm_error  # χ² = 0: the errors as given
    assert abs(tm.mean() - TM) < 3 * tm.std() / np.sqrt(tm.size)
    assert tm.std() == pytest.approx(unscaled, rel=0.1)


def test_scatter_wider_than_the_errors_widens_them() -> None:
    mu = SLOPE * (T - TM) + np.array([0.1, -0.1, 0.1, -0.1])
    narrow = fit_melting_point(T, mu, np.full(4, 0.01))
    assert narrow.chi2_per_dof > 1
    assert narrow.tm_error > fit_melting_point(T, SLOPE * (T - TM), np.full(4, 0.01)).tm_error


@pytest.mark.parametrize("t, mu, sigma, message", [
    (T, -SLOPE * (T - TM), np.full(4, 0.05), "does not rise"),
    (np.array([270.0, 270.0]), np.array([0.0, 0.1]), np.full(2, 0.05), "two temperatures"),
    (T, SLOPE * (T - TM), np.zeros(4), "must be positive"),
])
def test_no_melting_point(t, mu, sigma, message) -> None:
    with pytest.raises(InputError, match=message):
        fit_melting_point(t, mu, sigma)


def test_block_error_of_independent_values() -> None:
    """Uncorrelated values: the block error's mean is c4 σ/√n (c4, the bias of a standard deviation
    of 10 block means); each estimate scatters by about 1/√(2 · 9) = 24 %, so the mean of 400 by
    1.2 %, tested at 4 % (over 3σ)."""
    rng = np.random.default_rng(1)
    errors = [block_standard_error(rng.normal(0.0, 1.0, 1000), 10) for _ in range(400)]
    c4 = np.sqrt(2 / 9) * np.exp(gammaln(5.0) - gammaln(4.5))
    assert np.mean(errors) == pytest.approx(c4 / np.sqrt(1000), rel=0.04)
