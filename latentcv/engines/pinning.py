"""Interface pinning's estimate of the chemical-potential difference, from a run's CV series.

With the spring ½ κ (Q − A)² on a CV Q that counts crystal molecules
(:class:`latentcv.engines.openmm.pinning.HarmonicPin`), Δμ = μ_crystal − μ_melt per molecule is
κ (A − ⟨Q⟩) (Pedersen, J. Chem. Phys. 139, 104102, 2013). Its standard error comes from block
averages of Q: the series is cut into ``blocks`` contiguous blocks, long against Q's correlation
time when the run is, and the error is the spread of the block means over √blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentcv.errors import InputError

#: Blocks of the block average.
BLOCKS = 5


def block_standard_error(series: np.ndarray, blocks: int = BLOCKS) -> float:
    """Standard error of the mean of a correlated series from ``blocks`` contiguous blocks.

    The first ``len(series) % blocks`` values are left out so that the blocks are equal; the
    error is ``std(block means, ddof=1) / sqrt(blocks)``.

    Raises
    ------
    InputError
        With fewer than two values per block, or fewer than two blocks.
    """
    values = np.asarray(series, dtype=float)
    if blocks < 2 or values.size < 2 * blocks:
        raise InputError(f"a block average of {blocks} blocks needs at least {2 * blocks} values "
                         f"(two per block), got {values.size}: run longer or shorten the equilibration")
    means = values[values.size % blocks:].reshape(blocks, -1).mean(axis=1)
    return float(means.std(ddof=1) / np.sqrt(blocks))


@dataclass(frozen=True)
class PinningEstimate:
    """Δμ from one pinning run.

    Attributes
    ----------
    delta_mu : float
        μ_crystal − μ_melt per molecule, kJ/mol: κ (A − ⟨Q⟩).
    standard_error : float
        Its block-averaged standard error, kJ/mol.
    mean_q, q_standard_error : float
        ⟨Q⟩ and its standard error, CV units.
    frames : int
        Values of Q averaged.
    """

    delta_mu: float
    standard_error: float
    mean_q: float
    q_standard_error: float
    frames: int


def pinning_estimate(q: np.ndarray, target: float, kappa: float, blocks: int = BLOCKS) -> PinningEstimate:
    """Δμ = κ (A − ⟨Q⟩) and its block-averaged error from the values ``q`` of Q after equilibration.

    Parameters
    ----------
    q : ndarray[T]
        Q along the run (CV units: molecules for a count), equilibration left out.
    target : float
        A, the spring's centre (CV units).
    kappa : float
        κ, kJ/mol per CV unit squared.
    blocks : int
        Blocks of the block average (:func:`block_standard_error`).
    """
    values = np.asarray(q, dtype=float)
    error = block_standard_error(values, blocks)
    mean = float(values.mean())
    return PinningEstimate(kappa * (target - mean), kappa * error, mean, error, int(values.size))


@dataclass(frozen=True)
class MeltingPoint:
    """The melting point from Δμ(T) of pinning runs at several temperatures.

    Attributes
    ----------
    tm, tm_error : float
        K: where the fitted Δμ(T) = a + b (T − T̄) crosses zero, T̄ − a / b, and its standard error.
    slope, slope_error : float
        b, kJ/mol per K (≈ ΔH_melt / Tm per molecule: positive).
    intercept, intercept_error : float
        a = Δμ at T̄, kJ/mol.
    t_mean : float
        T̄, the weighted mean temperature, K (a and b are uncorrelated about it).
    chi2_per_dof : float or None
        χ² of the fit per degree of freedom (None with two temperatures); the errors are scaled
        by √max(1, χ²/dof), so a scatter wider than the error bars widens them.
    """

    tm: float
    tm_error: float
    slope: float
    slope_error: float
    intercept: float
    intercept_error: float
    t_mean: float
    chi2_per_dof: float | None


def fit_melting_point(temperatures: np.ndarray, delta_mu: np.ndarray, errors: np.ndarray) -> MeltingPoint:
    """Weighted straight line through Δμ(T) and the temperature where it crosses zero.

    Δμ = μ_crystal − μ_melt is linear in T near the melting point (Δμ ≈ ΔH (T − Tm) / Tm). The
    line a + b (T − T̄) is fitted with weights 1/σ² (:func:`numpy.polyfit`); Tm = T̄ − a/b, and its
    error propagates those of a and b, which are uncorrelated about the weighted mean T̄:
    σ_Tm² = (σ_a² + (Tm − T̄)² σ_b²) / b².

    Parameters
    ----------
    temperatures : ndarray[M]
        K, at least two different ones.
    delta_mu, errors : ndarray[M]
        Δμ and its standard error per temperature, kJ/mol (errors positive).

    Raises
    ------
    InputError
        Fewer than two temperatures, errors that are not positive, or a line that does not rise
        with T (no melting point in reach of these runs).
    """
    t, mu, sigma = (np.asarray(a, dtype=float) for a in (temperatures, delta_mu, errors))
    if np.unique(t).size < 2:
        raise InputError(f"a melting point needs runs at two temperatures or more, got {t.tolist()}")
    if not np.all(sigma > 0):
        raise InputError(f"the standard errors of delta mu must be positive, got {sigma.tolist()}")
    weights = 1.0 / sigma**2
    t_mean = float(np.sum(weights * t) / np.sum(weights))
    (slope, intercept), cov = np.polyfit(t - t_mean, mu, 1, w=1.0 / sigma, cov="unscaled")
    dof = t.size - 2
    chi2 = float(np.sum(weights * (mu - intercept - slope * (t - t_mean)) ** 2))
    chi2_per_dof = chi2 / dof if dof > 0 else None
    scale = 1.0 if chi2_per_dof is None else max(1.0, chi2_per_dof)
    slope_error, intercept_error = np.sqrt(np.diag(cov) * scale)
    if not slope > 0:
        raise InputError(f"delta mu does not rise with the temperature (slope {slope:.3g} kJ/mol/K over "
                         f"{t.min():g}-{t.max():g} K): no melting point in reach of these runs")
    tm = t_mean - intercept / slope
    tm_error = float(np.sqrt(intercept_error**2 + (tm - t_mean) ** 2 * slope_error**2) / slope)
    return MeltingPoint(float(tm), tm_error, float(slope), float(slope_error), float(intercept),
                        float(intercept_error), t_mean, chi2_per_dof)
