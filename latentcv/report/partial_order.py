"""Partial order: does a CV read the amount of crystal in configurations that hold both phases?

Bulk crystal and melt are the easy case (global Q6 separates them perfectly). A crystallization CV
must also read mixed configurations, so this part of the report scores, side by side with global
Steinhardt Q6 and the classical nucleation CV (the number of solid-like molecules, whose
neighbour-averaged q6 exceeds a threshold), three kinds of held-out data:

- slabs of known crystal fraction f (crystal held while the rest melted,
  :mod:`latentcv.engines.openmm.coexistence`): the Spearman rank correlation of each quantity with f, the R² of a
  straight line through its per-slab means, and its values at f = 0 and f = 1 (:func:`linearity`);
- bulk phases at several temperatures: each quantity's mean per phase and temperature, on the
  0 (melt) to 1 (crystal) scale for the fractions;
- nuclei of n molecules in a melt: each count's excess over the melt's, against n, and the smallest
  n whose excess stands :data:`SIGMAS` standard deviations of the melt's count above it
  (:func:`detection`).

Fractions are counts per molecule; global Q6 is put on the same scale by the mean Q6 of the bulk
crystal (1) and melt (0) frames of the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import spearmanr

#: A nucleus is detected when its count exceeds the melt's mean by this many of the melt's standard deviations.
SIGMAS = 3.0


@dataclass(frozen=True)
class Linearity:
    """How a quantity follows the crystal fraction f over a set of slabs.

    Attributes
    ----------
    spearman : float
        Rank correlation of the per-slab means with f (1: strictly increasing).
    r2 : float
        Coefficient of determination of the least-squares line through the per-slab means.
    slope, intercept : float
        That line, per unit fraction.
    at_0, at_1 : float or None
        The per-slab mean at f = 0 and at f = 1 (None when no slab has that fraction).
    """

    spearman: float
    r2: float
    slope: float
    intercept: float
    at_0: float | None
    at_1: float | None


def linearity(fractions: np.ndarray, means: np.ndarray) -> Linearity:
    """Score per-slab means ``means[k]`` of a quantity against crystal fractions ``fractions[k]``.

    Raises
    ------
    ValueError
        With fewer than three slabs, or all at one fraction.
    """
    f, y = np.asarray(fractions, dtype=float), np.asarray(means, dtype=float)
    if len(f) < 3 or np.ptp(f) == 0:
        raise ValueError("scoring linearity needs at least three slabs of different crystal fractions")
    slope, intercept = np.polyfit(f, y, 1)
    residual = y - (slope * f + intercept)
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total if total > 0 else 0.0
    at = {end: float(y[np.isclose(f, end)].mean()) if np.isclose(f, end).any() else None for end in (0.0, 1.0)}
    return Linearity(float(spearmanr(f, y).statistic), r2, float(slope), float(intercept), at[0.0], at[1.0])


@dataclass(frozen=True)
class Detection:
    """How a count sees nuclei of known size in a melt.

    Attributes
    ----------
    melt_mean, melt_std : float
        The count over the melt's frames.
    sizes : list of int
        Nucleus sizes n, increasing.
    excess, excess_std : list of float
        Mean over each nucleus's frames of the count minus ``melt_mean``, and its spread.
    smallest : int or None
        The smallest n whose excess is at least :data:`SIGMAS` × ``melt_std`` (and every larger one's
        too); None if none is.
    """

    melt_mean: float
    melt_std: float
    sizes: list[int]
    excess: list[float]
    excess_std: list[float]
    smallest: int | None


def detection(melt: np.ndarray, nuclei: dict[int, np.ndarray]) -> Detection:
    """Score a count on melt frames ``melt[F]`` and on the frames of each nucleus size,
    ``nuclei[n] = counts[F_n]`` (see :class:`Detection`)."""
    base, spread = float(np.mean(melt)), float(np.std(melt))
    sizes = sorted(nuclei)
    excess = [float(np.mean(nuclei[n])) - base for n in sizes]
    seen = [e >= SIGMAS * spread for e in excess]
    smallest = next((n for k, n in enumerate(sizes) if all(seen[k:])), None)
    return Detection(base, spread, sizes, excess, [float(np.std(nuclei[n])) for n in sizes], smallest)


def unit_scale(values: np.ndarray, crystal: float, melt: float) -> np.ndarray:
    """``values`` on the scale where ``melt`` is 0 and ``crystal`` is 1."""
    return (np.asarray(values, dtype=float) - melt) / (crystal - melt)


def solid_threshold(crystal: np.ndarray, melt: np.ndarray) -> float:
    """The threshold on a per-molecule order parameter that best tells crystal molecules from melt
    ones: the value that maximises the balanced accuracy (mean of the two phases' right fractions),
    over the pooled sorted values of ``crystal[...]`` and ``melt[...]`` (any shapes)."""
    a, b = np.sort(np.ravel(crystal)), np.sort(np.ravel(melt))
    candidates = np.unique(np.concatenate([a, b]))
    right_crystal = 1.0 - np.searchsorted(a, candidates, side="left") / len(a)  # fraction of a >= t
    right_melt = np.searchsorted(b, candidates, side="left") / len(b)  # fraction of b < t
    best = int(np.argmax(right_crystal + right_melt))
    return float(candidates[best])


#: Names of the quantities compared, besides the CV's components (``progress``, ``crystal_count``).
Q6_NAME, SOLID_NAME = "Q6", "solid-like"
#: The CV components the partial-order section reads, when the CV has them.
CV_QUANTITIES = ("progress", "crystal_count")
#: Targets of a crystallization CV (issue: a CV that measures how much crystal there is).
TARGETS = {"spearman": 1.0, "r2": 0.995, "melt_fraction": 0.05, "crystal_fraction": 0.95, "progress_tolerance": 0.1,
           "nucleus": 50}


def solid_like(q6_molecules: np.ndarray, threshold: float) -> np.ndarray:
    """The classical nucleation CV per frame: the number of molecules whose neighbour-averaged q6
    (``q6_molecules[F, M]``) is at least ``threshold`` (the rule :func:`solid_threshold` scores);
    shape ``(F,)``."""
    return (np.asarray(q6_molecules) >= threshold).sum(axis=1).astype(float)


def _stats(values: np.ndarray) -> dict[str, float]:
    return {"mean": float(np.mean(values)), "std": float(np.std(values))}


def analyse(bulk: list, slabs: list, nuclei: list, names: list[str], crystal_label: str, melt_label: str,
            fisher: dict[int, dict[str, float]]) -> dict:
    """The partial-order section's numbers (JSON-ready; see the module docstring).

    Parameters
    ----------
    bulk, slabs, nuclei : list of :class:`latentcv.report.values.TrajectoryValues`
        Bulk crystal and melt runs (labelled ``crystal_label``, ``melt_label``), slabs and nuclei
        (``crystalline`` set: their labelled crystal content); slabs or nuclei may be empty.
    names : list of str
        The CV's component names (the columns of each run's ``cv``).
    fisher : dict
        Fisher ratio per system size and quantity (CV components and ``Q6``) of the bulk section.

    Returns
    -------
    dict
        ``threshold`` (of the solid-like count), ``q6_scale`` (bulk crystal and melt means of Q6),
        ``bulk`` (a row per phase, temperature and size), ``slabs`` (fractions, per-quantity means
        and :class:`Linearity`), ``nuclei`` (sizes, per-count :class:`Detection`) and ``targets``.
    """
    crystal = [r for r in bulk if r.label == crystal_label]
    melt = [r for r in bulk if r.label == melt_label]
    threshold = solid_threshold(np.concatenate([np.ravel(r.q6_molecules) for r in crystal]),
                                np.concatenate([np.ravel(r.q6_molecules) for r in melt]))
    scale = (float(np.concatenate([r.q6 for r in crystal]).mean()), float(np.concatenate([r.q6 for r in melt]).mean()))
    quantities = [n for n in CV_QUANTITIES if n in names] + [Q6_NAME, SOLID_NAME]

    def fraction(run, name: str) -> np.ndarray:
        """Per-frame values of ``name`` on the 0 (melt) to 1 (crystal) scale."""
        if name == Q6_NAME:
            return unit_scale(run.q6, *scale)
        if name == SOLID_NAME:
            return solid_like(run.q6_molecules, threshold) / run.molecules
        values = run.cv[:, names.index(name)]
        return values / run.molecules if name == "crystal_count" else values

    def count(run, name: str) -> np.ndarray:
        return run.cv[:, names.index(name)] if name != SOLID_NAME else solid_like(run.q6_molecules, threshold)

    result: dict = {"threshold": threshold, "q6_scale": {"crystal": scale[0], "melt": scale[1]},
                    "quantities": quantities}
    result["bulk"] = [{"label": r.label, "crystal": r.label == crystal_label, "temperature": r.temperature,
                       "molecules": r.molecules, "frames": len(r.frames),
                       "values": {q: _stats(fraction(r, q)) for q in quantities}}
                      for r in sorted(bulk, key=lambda r: (r.label, r.temperature or 0.0, r.molecules))]
    if slabs:
        order = sorted(slabs, key=lambda r: r.crystalline / r.molecules)
        f = np.array([r.crystalline / r.molecules for r in order])
        means = {q: np.array([fraction(r, q).mean() for r in order]) for q in quantities}
        result["slabs"] = {"fractions": f.tolist(), "molecules": [r.molecules for r in order],
                           "temperatures": [r.temperature for r in order],
                           "means": {q: m.tolist() for q, m in means.items()},
                           "linearity": {q: asdict(linearity(f, m)) for q, m in means.items()}}
    if nuclei:
        counts = [q for q in ("crystal_count", SOLID_NAME) if q == SOLID_NAME or q in names]
        baseline = [r for r in nuclei if r.crystalline == 0]
        if not baseline:
            raise ValueError("the nuclei need a melt of the same system without a nucleus (0 crystalline molecules)")
        sized = [r for r in nuclei if r.crystalline > 0]
        melt_counts = {q: np.concatenate([count(r, q) for r in baseline]) for q in counts}
        result["nuclei"] = {"molecules": baseline[0].molecules, "detection": {
            q: asdict(detection(melt_counts[q], {r.crystalline: count(r, q) for r in sized})) for q in counts}}
    result["targets"] = _targets(result, fisher)
    return result


def _targets(result: dict, fisher: dict[int, dict[str, float]]) -> list[dict]:
    """Each target of :data:`TARGETS` that the data can judge: what was asked, the number, met or not."""
    rows = []
    cv = [q for q in CV_QUANTITIES if q in result["quantities"]]
    if "slabs" in result:
        lin = result["slabs"]["linearity"]
        for q in cv:
            rows.append({"target": f"slabs: {q} Spearman = 1", "value": lin[q]["spearman"],
                         "met": lin[q]["spearman"] >= TARGETS["spearman"] - 1e-12})
            floor = max(TARGETS["r2"], lin[Q6_NAME]["r2"])
            rows.append({"target": f"slabs: {q} R² ≥ {TARGETS['r2']} and ≥ Q6's ({lin[Q6_NAME]['r2']:.4f})",
                         "value": lin[q]["r2"], "met": lin[q]["r2"] >= floor})
    for row in result["bulk"]:
        where = f"{row['label']}, {row['molecules']} molecules"
        where += f", {row['temperature']:g} K" if row["temperature"] is not None else ""
        is_crystal = row["crystal"]
        if "crystal_count" in row["values"]:
            v = row["values"]["crystal_count"]["mean"]
            bound = TARGETS["crystal_fraction"] if is_crystal else TARGETS["melt_fraction"]
            rows.append({"target": f"crystal_count/N {'≥' if is_crystal else '≤'} {bound}: {where}", "value": v,
                         "met": v >= bound if is_crystal else v <= bound})
        if "progress" in row["values"]:
            v = row["values"]["progress"]["mean"]
            end = 1.0 if is_crystal else 0.0
            rows.append({"target": f"progress within {TARGETS['progress_tolerance']} of {end:g}: {where}", "value": v,
                         "met": abs(v - end) <= TARGETS["progress_tolerance"]})
    if "nuclei" in result and "crystal_count" in result["nuclei"]["detection"]:
        d = result["nuclei"]["detection"]["crystal_count"]
        n = TARGETS["nucleus"]
        melt = result["nuclei"]["molecules"]
        rows.append({"target": f"nuclei: a {n}-molecule nucleus stands {SIGMAS:g}σ above the melt of {melt} molecules "
                     "(the smallest n that does)", "value": d["smallest"],
                     "met": d["smallest"] is not None and d["smallest"] <= n})
    for size, ratios in sorted(fisher.items()):
        for q in cv:
            if q in ratios:
                rows.append({"target": f"Fisher ratio of {q} above Q6's ({ratios[Q6_NAME]:.4g}), {size} molecules",
                             "value": ratios[q], "met": ratios[q] > ratios[Q6_NAME]})
    return rows
