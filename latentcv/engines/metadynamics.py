"""Well-tempered metadynamics defaults, one source for both engines and the command line.

``latentcv metad`` (OpenMM, :class:`latentcv.commands.metad_config.MetadConfig`), the METAD line
of an exported CV's ``plumed.dat`` (:func:`latentcv.engines.plumed.input.plumed_input`) and the
``latentcv`` command's defaults all take them from here:

- hills of :data:`HEIGHT_KJ_MOL` every :data:`PACE_STEPS` steps, tempered with the bias factor
  :data:`BIAS_FACTOR`;
- the hill width of a CV component: its suggestion from the training frames,
  :meth:`latentcv.cv.stats.ComponentStats.suggested_sigma` (recorded as ``sigma`` in metadata.json);
- the bias grid: the component's training range with :data:`GRID_MARGIN` of it on each side
  (:func:`grid_range`).
"""

from __future__ import annotations

from latentcv.cv.stats import ComponentStats

#: Well-tempered bias factor γ = (T + ΔT) / T.
BIAS_FACTOR = 10.0
#: Initial hill height, kJ/mol.
HEIGHT_KJ_MOL = 1.0
#: 2 fs steps between hills.
PACE_STEPS = 500
#: kJ/mol: the BARRIER of the OPES_METAD line of an exported CV's plumed_opes.dat, a value to edit
#: (a few tens of kT: small crystal-melt systems near the melting point).
OPES_BARRIER_KJ_MOL = 50.0
#: K: the temperature of plumed.dat's METAD line when an export is given none.
TEMPERATURE_K = 300.0
#: Margin of the bias grid on each side of a component's training range, as a fraction of its span.
GRID_MARGIN = 0.5


def grid_range(stats: ComponentStats, margin: float = GRID_MARGIN) -> tuple[float, float]:
    """Lower and upper bound of a bias grid for one CV component (CV units): its training range
    widened by ``margin`` times its span on each side, the span being at least six standard
    deviations (and 1e-3)."""
    span = max(stats.maximum - stats.minimum, 6 * stats.std, 1e-3)
    return stats.minimum - margin * span, stats.maximum + margin * span
