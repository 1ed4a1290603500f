"""How well one scalar quantity (a CV component, Q6) separates crystal frames from melt frames.

- threshold accuracy: the best single threshold t, either way round (crystal above t or below t),
  scored by balanced accuracy, the mean of the fractions of crystal and of melt frames put on their
  side, so unequal frame counts do not favour a side;
- histogram overlap: :func:`histogram_overlap` (0 disjoint, 1 identical);
- Fisher ratio: (mu_c - mu_m)^2 / (sigma_c^2 + sigma_m^2), population variances.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from latentcv.errors import InputError


@dataclass(frozen=True)
class Threshold:
    """The best single threshold between two samples.

    Attributes
    ----------
    value : float
        The threshold, in the quantity's units (midway between two neighbouring sorted values).
    crystal_above : bool
        True when values above the threshold are called crystal.
    accuracy : float
        Balanced accuracy in [0.5, 1].
    """

    value: float
    crystal_above: bool
    accuracy: float


@dataclass(frozen=True)
class Separation:
    """Per-phase statistics and separation scores of one quantity (units of the quantity).

    Attributes
    ----------
    crystal_mean, crystal_std, melt_mean, melt_std : float
        Mean and population standard deviation per phase.
    crystal_frames, melt_frames : int
        Frames per phase.
    threshold : Threshold
        Best single threshold and its balanced accuracy.
    overlap : float
        Histogram overlap in [0, 1].
    fisher : float
        Fisher ratio, dimensionless; ``inf`` when both phases have zero spread and different means.
    """

    crystal_mean: float
    crystal_std: float
    melt_mean: float
    melt_std: float
    crystal_frames: int
    melt_frames: int
    threshold: Threshold
    overlap: float
    fisher: float

    def as_dict(self) -> dict:
        """A JSON-ready dictionary (a non-finite Fisher ratio becomes None)."""
        out = asdict(self)
        out["fisher"] = self.fisher if np.isfinite(self.fisher) else None
        return out


def _sample(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0:
        raise InputError(f"no {name} frames to compare")
    if not np.isfinite(array).all():
        raise InputError(f"the {name} values hold NaN or infinity")
    return array


def best_threshold(crystal: ArrayLike, melt: ArrayLike) -> Threshold:
    """The single threshold with the highest balanced accuracy, either orientation.

    Parameters
    ----------
    crystal, melt : array_like, shape (n_c,) and (n_m,)
        Values of the two phases.

    Returns
    -------
    Threshold
        Ties go to the first threshold from below. With identical samples the accuracy is 0.5.
    """
    c, m = _sample(crystal, "crystal"), _sample(melt, "melt")
    cuts = np.unique(np.concatenate([c, m]))
    # candidate thresholds: below everything, between neighbouring distinct values, above everything
    candidates = np.concatenate([[cuts[0] - 1.0], 0.5 * (cuts[1:] + cuts[:-1]), [cuts[-1] + 1.0]])
    # fraction of crystal values above each cut and of melt values at or below it
    crystal_above = 1.0 - np.searchsorted(np.sort(c), candidates, side="right") / len(c)
    melt_below = np.searchsorted(np.sort(m), candidates, side="right") / len(m)
    score_up = 0.5 * (crystal_above + melt_below)
    score_down = 1.0 - score_up  # crystal below: the complementary fractions
    i_up, i_down = int(score_up.argmax()), int(score_down.argmax())
    if score_up[i_up] >= score_down[i_down]:
        return Threshold(float(candidates[i_up]), True, float(score_up[i_up]))
    return Threshold(float(candidates[i_down]), False, float(score_down[i_down]))


def fisher_ratio(crystal: ArrayLike, melt: ArrayLike) -> float:
    """(mu_c - mu_m)^2 / (sigma_c^2 + sigma_m^2) with population variances; dimensionless.

    Returns 0 for equal means and ``inf`` for different means with zero spread in both samples.
    """
    c, m = _sample(crystal, "crystal"), _sample(melt, "melt")
    gap = (c.mean() - m.mean()) ** 2
    spread = c.var() + m.var()
    if spread == 0.0:
        return 0.0 if gap == 0.0 else float("inf")
    return float(gap / spread)


def histogram_overlap(a: ArrayLike, b: ArrayLike, bins: int = 50) -> float:
    """Overlap area of the normalised histograms of two samples on a shared grid (0 disjoint, 1 same).

    Parameters
    ----------
    a, b : array_like, shape (n_a,) and (n_b,)
        The two samples, in the same units.
    bins : int
        Bins of the shared grid, which spans both samples.
    """
    edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=bins)
    pa, _ = np.histogram(a, edges, density=True)
    pb, _ = np.histogram(b, edges, density=True)
    return float(np.minimum(pa, pb).sum() * np.diff(edges)[0])


def separation(crystal: ArrayLike, melt: ArrayLike, bins: int = 50) -> Separation:
    """Every score of how one quantity separates crystal from melt frames.

    Parameters
    ----------
    crystal, melt : array_like, shape (n_c,) and (n_m,)
        Values of the quantity on crystal and on melt frames.
    bins : int
        Bins of the shared histogram grid for the overlap.

    Returns
    -------
    Separation
    """
    c, m = _sample(crystal, "crystal"), _sample(melt, "melt")
    return Separation(
        crystal_mean=float(c.mean()), crystal_std=float(c.std()), melt_mean=float(m.mean()), melt_std=float(m.std()),
        crystal_frames=len(c), melt_frames=len(m), threshold=best_threshold(c, m),
        overlap=histogram_overlap(c, m, bins=bins), fisher=fisher_ratio(c, m),
    )
