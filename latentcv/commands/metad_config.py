"""Settings of a ``latentcv metad`` run, checked before any work starts; saved as ``config.json``.

Every step count (``pace``, ``report_interval``, ``checkpoint_interval``) is in 2 fs time steps, with
or without multiple time stepping, so that ``--mts K`` changes how forces are integrated and not
when hills fall; with ``--mts K`` they must be multiples of K, so that hills, reports and checkpoints
fall between impulse cycles (a resumed run starts a new cycle).
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import TypeVar

from latentcv.engines.metadynamics import BIAS_FACTOR, HEIGHT_KJ_MOL, PACE_STEPS
from latentcv.engines.openmm.simulation import TIMESTEP_PS
from latentcv.errors import InputError
from latentcv.readers import read_json_object, reading

#: A settings dataclass (:class:`MetadConfig`, :class:`latentcv.commands.pin.PinConfig`).
Settings = TypeVar("Settings")
#: Settings that may change when a run is resumed.
RESUME_MAY_CHANGE = ("ns", "platform", "state", "out")
#: Samplers of ``--method``: well-tempered metadynamics (openmm.app.Metadynamics), OPES and
#: OPES-explore (openmm_opes.OPES).
METHODS = ("metad", "opes", "opes-explore")


@dataclass(frozen=True)
class MetadConfig:
    """One enhanced-sampling run on an exported CV: well-tempered metadynamics, OPES or OPES-explore.

    The defaults are the command line's (:func:`defaults`); the hills' are those of
    :mod:`latentcv.engines.metadynamics`, which plumed.dat's METAD line uses too.

    Attributes
    ----------
    system_xml, pdb : str
        OpenMM System XML and the PDB of its particles (``latentcv simulate``'s ``system.xml`` and
        ``topology.pdb``); the PDB gives the starting positions unless ``state`` is given.
    cv : str
        Exported CV folder (``latentcv export``).
    out : str
        Output folder.
    temperature : float
        K.
    ns : float
        Total length, ns (a resumed run goes on until it reaches it), in whole report intervals.
    components : tuple of int
        CV components to bias (1 to 3).
    method : str
        ``metad`` (hills), ``opes`` or ``opes-explore`` (kernels of a probability estimate,
        :mod:`latentcv.engines.openmm.opes`).
    barrier : float, optional
        OPES's ΔE, kJ/mol: the free-energy barrier to cross (required by the OPES methods only).
    bias_factor : float
        Well-tempered γ = (T + ΔT)/T, > 1 (OPES's too).
    height : float
        Initial Gaussian height, kJ/mol (metadynamics only).
    sigma : tuple of float, optional
        Gaussian widths per component (CV units; OPES's initial kernel widths σ₀); default the CV
        metadata's suggestions.
    pace : int
        2 fs steps between hills (OPES: kernels).
    state : str, optional
        OpenMM State XML to start from (positions, velocities, box), e.g. ``simulate``'s state.xml.
    platform : str
        OpenMM platform or ``auto`` (CUDA, OpenCL, CPU; mixed precision on GPUs).
    mts : int
        Multiple time stepping: the bias (and the CV's TorchForces) every ``mts`` 2 fs steps; 1 = off.
    barostat_interval : int, optional
        2 fs steps between Monte Carlo barostat moves; default the System's own (25 in latentcv's
        systems). Each move evaluates the CV twice more (energies before and after), three times with
        ``mts`` > 1 (the move's step sees the bias, :mod:`latentcv.engines.openmm.mts`).
    walkers_dir : str, optional
        Folder shared by multiple walkers.
    walker_id : int, optional
        This walker's id, with ``walkers_dir``.
    report_interval : int
        2 fs steps between rows of colvar.csv and log.csv and frames of trajectory.dcd.
    checkpoint_interval : int
        2 fs steps between checkpoints, a multiple of ``report_interval``.
    seed : int
        Seed of the starting velocities and of the Langevin integrator.
    """

    system_xml: str
    pdb: str
    cv: str
    out: str
    temperature: float
    ns: float
    components: tuple[int, ...] = (0,)
    method: str = "metad"
    barrier: float | None = None
    bias_factor: float = BIAS_FACTOR
    height: float = HEIGHT_KJ_MOL
    sigma: tuple[float, ...] | None = None
    pace: int = PACE_STEPS
    state: str | None = None
    platform: str = "auto"
    mts: int = 1
    barostat_interval: int | None = None
    walkers_dir: str | None = None
    walker_id: int | None = None
    report_interval: int = 500
    checkpoint_interval: int = 5000
    seed: int = 1

    @property
    def n_reports(self) -> int:
        """Report intervals in ``ns`` (at least one)."""
        return max(1, round(self.ns * 1000 / (TIMESTEP_PS * self.report_interval)))

    def validate(self) -> None:
        """Raise :class:`InputError` for settings that cannot run (files are checked when read)."""
        for name in ("temperature", "ns", "height"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be positive, got {getattr(self, name)}")
        if self.method not in METHODS:
            raise InputError(f"--method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.method == "metad" and self.barrier is not None:
            raise InputError("--barrier is OPES's: give it with --method opes or opes-explore")
        if self.method != "metad" and not (self.barrier is not None and self.barrier > 0):
            raise InputError(f"--method {self.method} needs --barrier, a positive free-energy barrier in kJ/mol")
        if not self.bias_factor > 1:
            raise InputError(f"the bias factor must be greater than 1, got {self.bias_factor}")
        if not 1 <= len(self.components) <= 3 or len(set(self.components)) != len(self.components):
            raise InputError(f"give 1 to 3 different CV components, got {list(self.components)}")
        if self.sigma is not None:
            if len(self.sigma) != len(self.components):
                raise InputError(f"give one sigma per component ({len(self.components)}), got {len(self.sigma)}")
            if not all(s > 0 for s in self.sigma):
                raise InputError(f"sigma must be positive, got {list(self.sigma)}")
        if self.mts < 1:
            raise InputError(f"--mts must be at least 1, got {self.mts}")
        if self.barostat_interval is not None and self.barostat_interval < 1:
            raise InputError(f"--barostat-interval must be at least 1, got {self.barostat_interval}")
        for name in ("pace", "report_interval", "checkpoint_interval"):
            steps = getattr(self, name)
            if steps < 1 or steps % self.mts:
                raise InputError(f"{name} must be a positive multiple of --mts {self.mts} (2 fs steps), got {steps}")
        if self.checkpoint_interval % self.report_interval:
            raise InputError(
                f"checkpoint_interval ({self.checkpoint_interval}) must be a multiple of report_interval "
                f"({self.report_interval})"
            )
        if (self.walker_id is None) != (self.walkers_dir is None):
            raise InputError("--walker-id and --walkers-dir go together")
        if self.walker_id is not None and self.walker_id < 0:
            raise InputError(f"--walker-id must not be negative, got {self.walker_id}")

    def to_json(self) -> str:
        """The settings as JSON."""
        return json.dumps(asdict(self), indent=2) + "\n"

    def resumed(self, saved_json: Path) -> MetadConfig:
        """The config of the run saved in ``saved_json`` with this config's ``ns`` and ``platform``.

        Raises
        ------
        InputError
            When other settings differ.
        """
        return resumed_settings(self, saved_json, "metadynamics config.json", RESUME_MAY_CHANGE)


def resumed_settings(config: Settings, saved_json: Path, what: str, may_change: tuple[str, ...]) -> Settings:
    """The settings dataclass saved in ``saved_json`` (its ``to_json``), of the type of ``config``,
    with ``config``'s values of the fields ``may_change``; lists become tuples where ``config``
    holds tuples.

    Raises
    ------
    InputError
        When a field outside ``may_change`` differs, or the file is not such settings.
    """
    saved = read_json_object(saved_json, what)
    with reading(saved_json, what):
        for f in fields(config):
            if isinstance(getattr(config, f.name), tuple) and isinstance(saved.get(f.name), list):
                saved[f.name] = tuple(saved[f.name])
        differing = [
            f"{f.name} {saved[f.name]!r} (asked {getattr(config, f.name)!r})"
            for f in fields(config)
            if f.name not in may_change and saved.get(f.name) != getattr(config, f.name)
        ]
    if differing:
        raise InputError(f"cannot resume {config.out}: it was run with " + ", ".join(differing))
    with reading(saved_json, what):
        return type(config)(**{**saved, **{name: getattr(config, name) for name in may_change}})


def defaults() -> dict[str, object]:
    """The default of every :class:`MetadConfig` setting that has one, by name."""
    return {f.name: f.default for f in fields(MetadConfig) if f.default is not MISSING}
