"""``latentcv pin``: interface pinning on an exported CV in OpenMM, and the chemical-potential
difference between crystal and melt it measures.

A crystal–melt slab (``latentcv simulate --system ... --slab``, or any coexistence State) runs
with the harmonic spring ½ κ (Q − A)² on one CV component Q that counts crystal molecules
(:class:`latentcv.engines.openmm.pinning.HarmonicPin`, by default the ``crystal_count`` head);
Δμ = μ_crystal − μ_melt per molecule is κ (A − ⟨Q⟩) over the run after ``equilibrate_ps``
(:func:`latentcv.engines.pinning.pinning_estimate`, Pedersen, J. Chem. Phys. 139, 104102, 2013).
Δμ crosses zero at the melting point; at constant pressure the slab's interfaces must stay flat and
the box anisotropic (``latentcv simulate``'s slab systems are).

The run folder (:class:`PinFiles`) has what a ``latentcv metad`` folder has (colvar.csv, log.csv,
trajectory.dcd, cv_time.png, config.json, state.xml, checkpoint.pt; checkpoints and resume as in
:mod:`latentcv.commands.biased_run`) and ``pin.json``: Δμ in kJ/mol and kT, its block-averaged
standard error, ⟨Q⟩ and the settings it came from.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import openmm
from openmm import unit

from latentcv.atomic import write_text_atomic
from latentcv.commands.biased_run import (prepare_folder, prepare_platform, read_inputs, restore, run_reports, save,
                                         start, warm_up)
from latentcv.commands.metad_config import resumed_settings
from latentcv.engines.exported import load
from latentcv.engines.openmm.metad_plots import plot_cv_time
from latentcv.engines.openmm.mts import make_integrator
from latentcv.engines.openmm.pinning import HarmonicPin
from latentcv.engines.openmm.run_files import RunFiles, RunRecorder
from latentcv.engines.openmm.simulation import TIMESTEP_PS, make_simulation
from latentcv.engines.pinning import BLOCKS, pinning_estimate
from latentcv.errors import InputError
from latentcv.readers import read_json_object
from latentcv.training.checkpoint import load_checkpoint

#: Settings that may change when a pinning run is resumed (the estimate is recomputed).
RESUME_MAY_CHANGE = ("ps", "platform", "state", "out", "equilibrate_ps", "blocks", "threads")
_KJ_PER_KT = unit.MOLAR_GAS_CONSTANT_R.value_in_unit(unit.kilojoule_per_mole / unit.kelvin)


@dataclass(frozen=True)
class PinConfig:
    """One interface-pinning run.

    Attributes
    ----------
    system_xml, pdb : str
        OpenMM System XML and the PDB of its particles; the PDB gives the start unless ``state``.
    cv : str
        Exported CV folder (``latentcv export``) with the component ``component``.
    out : str
        Output folder.
    temperature : float
        K.
    ps : float
        Total length, ps, in whole report intervals (a resumed run goes on until it reaches it).
    target : float, optional
        A, the spring's centre, CV units (molecules for ``crystal_count``): about the slab's
        crystal molecules. None: Q of the starting configuration, so that the spring does not pull
        at the start (the value is saved in config.json and pin.json).
    kappa : float
        κ, kJ/mol per CV unit squared: stiff enough that Q's fluctuations are small against the
        slab's range of flat interfaces.
    component : str
        Name of the CV component Q (``metadata.json``).
    state : str, optional
        OpenMM State XML to start from (positions, velocities, box).
    platform : str
        OpenMM platform or ``auto``.
    equilibrate_ps : float
        ps at the start left out of the estimate.
    blocks : int
        Blocks of the block-averaged standard error.
    report_interval, checkpoint_interval : int
        2 fs steps between rows (and frames), and between checkpoints (a multiple of the former).
    seed : int
        Seed of the starting velocities and of the Langevin integrator.
    threads : int
        Force threads of OpenMM's CPU platform; 0 is OpenMM's default (one per core). Runs side by
        side (``latentcv melting-point``) share the cores this way.
    """

    system_xml: str
    pdb: str
    cv: str
    out: str
    temperature: float
    ps: float
    kappa: float
    target: float | None = None
    component: str = "crystal_count"
    state: str | None = None
    platform: str = "auto"
    equilibrate_ps: float = 0.0
    blocks: int = BLOCKS
    report_interval: int = 50
    checkpoint_interval: int = 5000
    seed: int = 1
    threads: int = 0

    @property
    def n_reports(self) -> int:
        """Report intervals in ``ps`` (at least one)."""
        return max(1, round(self.ps / (TIMESTEP_PS * self.report_interval)))

    def validate(self) -> None:
        """Raise :class:`InputError` for settings that cannot run (files are checked when read)."""
        for name in ("temperature", "ps", "kappa"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 <= self.equilibrate_ps < self.ps:
            raise InputError(f"the equilibration ({self.equilibrate_ps} ps) must be shorter than the run "
                             f"({self.ps} ps)")
        if self.threads < 0:
            raise InputError(f"threads must be 0 (OpenMM's default) or more, got {self.threads}")
        if self.blocks < 2:
            raise InputError(f"blocks must be at least 2, got {self.blocks}")
        if self.report_interval < 1 or self.checkpoint_interval % self.report_interval or \
                self.checkpoint_interval < 1:
            raise InputError(f"checkpoint_interval ({self.checkpoint_interval}) must be a positive multiple of "
                             f"report_interval ({self.report_interval})")

    def to_json(self) -> str:
        """The settings as JSON."""
        return json.dumps(asdict(self), indent=2) + "\n"


class PinFiles(RunFiles):
    """A pinning run folder: :class:`RunFiles` and ``pin.json`` (the estimate)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.result = folder / "pin.json"


def estimate(config: PinConfig, colvar: Path, molecules: int) -> dict[str, object]:
    """pin.json's content from the run's colvar.csv: Δμ over the rows after ``equilibrate_ps``;
    ``molecules`` is the system's number of molecules (residues of its PDB)."""
    with open(colvar, newline="") as handle:
        rows = list(csv.DictReader(handle))
    q = np.array([float(r[config.component]) for r in rows if float(r["time_ps"]) > config.equilibrate_ps])
    result = pinning_estimate(q, config.target, config.kappa, config.blocks)
    kt = _KJ_PER_KT * config.temperature
    return {
        "delta_mu_kJ_mol": result.delta_mu, "standard_error_kJ_mol": result.standard_error,
        "delta_mu_kT": result.delta_mu / kt, "standard_error_kT": result.standard_error / kt,
        "mean_q": result.mean_q, "q_standard_error": result.q_standard_error, "frames": result.frames,
        "molecules": molecules, "component": config.component, "target": config.target, "kappa": config.kappa,
        "temperature_K": config.temperature, "ps": config.ps, "equilibrate_ps": config.equilibrate_ps,
        "blocks": config.blocks, "cv": config.cv,
    }


def run_pin(config: PinConfig, resume: bool = False, progress: bool = True) -> PinFiles:
    """Run (or resume) interface pinning and write the run folder and ``pin.json``.

    Parameters
    ----------
    config : PinConfig
        Settings; on resume, those saved in the folder, with :data:`RESUME_MAY_CHANGE` from ``config``.
    resume : bool
        Continue the run in ``config.out`` from its checkpoint until it reaches ``config.ps``.
    progress : bool
        Show a tqdm progress bar (ps, ns/day, ETA) on stderr.

    Raises
    ------
    InputError
        Missing or inconsistent files or settings, or too short a run for the block average.
    EngineError
        A platform that is not available, or a checkpoint from another platform.
    """
    config.validate()
    files = PinFiles(Path(config.out))
    prepare_folder(files, resume, "pinning")
    if resume:
        if config.target is None:  # the centre the run started with
            config = replace(config, target=read_json_object(files.config, "pinning config.json").get("target"))
        config = resumed_settings(config, files.config, "pinning config.json", RESUME_MAY_CHANGE)
    names = load(config.cv).names
    if config.component not in names:
        raise InputError(f"{config.cv} has no component {config.component!r} (it has {', '.join(names)})")
    component = names.index(config.component)
    unbiased, structure, _, state = read_inputs(config.system_xml, config.pdb, config.state, config.cv,
                                                 (component,))
    prepare_platform(config.platform)
    system = openmm.XmlSerializer.clone(unbiased)
    pin = HarmonicPin(system, config.cv, component, 0.0 if config.target is None else config.target, config.kappa)
    integrator = make_integrator(system, config.temperature, config.seed, 1, pin.bias_group)
    simulation = make_simulation(structure.topology, system, config.temperature, config.seed, config.platform,
                                 integrator, config.threads)
    checkpoint = load_checkpoint(files.checkpoint) if resume else None
    if checkpoint is not None:
        restore(files, simulation, checkpoint)
    else:
        start(simulation, unbiased, structure, state, config.temperature, config.seed, config.platform)
    warm_up(simulation, pin)
    if config.target is None:  # a new run centred on its start (a resumed one has its target in config.json)
        config = replace(config, target=pin.getCollectiveVariables(simulation)[0])
        pin.set_target(simulation, config.target)
    files.config.write_text(config.to_json())
    report_steps = config.report_interval
    done = simulation.currentStep // report_steps
    recorder = RunRecorder(files, simulation, pin, [config.component], report_steps, done + 1 if resume else None)
    if not resume:
        recorder.record(0.0)
        save(files, simulation, {})
    run_reports(simulation, recorder, simulation.step, lambda: save(files, simulation, {}), report_steps,
                config.n_reports, config.checkpoint_interval // report_steps, done,
                f"pin {config.temperature:g} K", progress)
    molecules = structure.topology.getNumResidues()
    write_text_atomic(files.result, json.dumps(estimate(config, files.colvar, molecules), indent=2) + "\n")
    plot_cv_time(files.colvar, files.cv_time_png)
    return files
