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
