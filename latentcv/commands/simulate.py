"""NPT runs of the example systems, written to a folder and resumable from its last checkpoint.

A run folder holds ``config.json`` (the settings), ``topology.pdb`` (the first production frame),
``system.xml`` (the OpenMM System, barostat included), ``trajectory.dcd`` (one frame per
``frame_ps``), ``log.csv`` (time ps, temperature K, density g/cm3, potential energy kJ/mol) and
``state.xml`` (positions, velocities, box and time of the last frame, for restarts). A coexistence
system (a crystal slab or nucleus in its melt) also gets ``trajectory.labels.csv``, which molecules
were kept crystalline (:mod:`latentcv.data.molecule_labels`).
"""

from __future__ import annotations

import csv
import json
import logging
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import openmm
from openmm import app, unit
from tqdm import tqdm

from latentcv.atomic import write_text_atomic
from latentcv.engines.openmm.dcd import dcd_frame_count
from latentcv.engines.openmm.prepare import starting_structure
from latentcv.engines.openmm.simulation import (
    TIMESTEP_PS, add_barostat, create_system, degrees_of_freedom, density_g_cm3, make_simulation, minimise, ns_per_day,
    total_mass,
)
from latentcv.data.molecule_labels import labels_path
from latentcv.engines.openmm.prepare import coexistence_structure, write_coexistence_labels
from latentcv.errors import InputError
from latentcv.readers import read_json_object, read_openmm_xml, reading
from latentcv.systems.coexistence import Coexistence
from latentcv.systems.registry import coexistence_options, get_system

log = logging.getLogger(__name__)

LOG_COLUMNS = ("time_ps", "temperature_K", "density_g_cm3", "potential_energy_kJ_mol")
_MOLAR_GAS_CONSTANT = unit.MOLAR_GAS_CONSTANT_R.value_in_unit(unit.kilojoule_per_mole / unit.kelvin)


@dataclass(frozen=True)
class RunConfig:
    """Settings of one run; saved as ``config.json`` in the run folder.

    Attributes
    ----------
    system : str
        A name of :data:`latentcv.systems.registry.SYSTEMS`.
    molecules : int
        Requested number of molecules (the builder takes the nearest box it can make).
    temperature : float
        Temperature (K).
    pressure : float
        Pressure (bar).
    ps : float
        Production length (ps); a resumed run goes on until its production reaches it.
    equilibrate_ps : float
        NPT equilibration at the run's temperature and pressure before production (ps).
    frame_ps : float
        Time between saved frames, log rows and checkpoints (ps), a multiple of the 2 fs step.
    seed : int
        Seed of the builder, the velocities, the integrator and the barostat.
    platform : str
        OpenMM platform name or ``auto``; not part of what must match on resume.
    crystal_fraction, crystal_molecules : float or int, optional
        A coexistence system's crystal content: a fraction, or a number of molecules.
    axis : str, optional
        A slab's normal, ``x``, ``y`` or ``z`` (default ``z``, the builder's longest edge).
    """

    system: str
    molecules: int
    temperature: float
    pressure: float
    ps: float
    equilibrate_ps: float = 10.0
    frame_ps: float = 1.0
    seed: int = 1
    platform: str = "auto"
    crystal_fraction: float | None = None
    crystal_molecules: int | None = None
    axis: str | None = None

    def coexistence(self) -> Coexistence | None:
        """What stays crystalline, for a coexistence system; None for the others."""
        return coexistence_options(self.system, self.crystal_fraction, self.crystal_molecules, self.axis)

    def validate(self) -> None:
        """Raise :class:`InputError` for a setting that cannot run."""
        self.coexistence()
        if self.molecules < 1:
            raise InputError(f"molecules must be at least 1, got {self.molecules}")
        for name in ("temperature", "pressure", "ps", "frame_ps"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be positive, got {getattr(self, name)}")
        if self.equilibrate_ps < 0:
            raise InputError(f"equilibrate_ps must not be negative, got {self.equilibrate_ps}")
        steps = self.frame_ps / TIMESTEP_PS
        if abs(steps - round(steps)) > 1e-6:
            raise InputError(f"frame_ps must be a multiple of the {TIMESTEP_PS} ps time step, got {self.frame_ps}")


class RunFiles:
    """Paths of a run folder's files (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.config = folder / "config.json"
        self.topology = folder / "topology.pdb"
        self.system = folder / "system.xml"
        self.state = folder / "state.xml"
        self.trajectory = folder / "trajectory.dcd"
        self.log = folder / "log.csv"


def _prepare_folder(folder: Path) -> RunFiles:
    """Create ``folder`` if needed and check that files can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".latentcv-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise InputError(f"cannot write to output directory {folder}: {err.strerror or err}") from None
    return RunFiles(folder)


def _saved_config(files: RunFiles, config: RunConfig) -> RunConfig:
    """The config of the run in ``files`` with ``ps`` and ``platform`` from ``config``; raises
    :class:`InputError` when there is nothing to resume or the other settings differ."""
    for path in (files.config, files.state, files.system, files.topology, files.trajectory, files.log):
        if not path.is_file():
            raise InputError(f"cannot resume: {path} is missing")
    saved = read_json_object(files.config, "run config.json of `latentcv simulate`")
    differing = [
        f"{f.name} {saved[f.name]} (asked {getattr(config, f.name)})"
        for f in fields(RunConfig)
        if f.name not in ("ps", "platform") and saved.get(f.name) != getattr(config, f.name)
    ]
    if differing:
        raise InputError(f"cannot resume {files.folder}: it was run with " + ", ".join(differing))
    with reading(files.config, "run config.json of `latentcv simulate`"):
        return RunConfig(**{**saved, "ps": config.ps, "platform": config.platform})


class _Recorder:
    """Appends frames to the DCD, rows to the log and rewrites the checkpoint, once per frame."""

    def __init__(self, files: RunFiles, simulation: app.Simulation, frame_steps: int, append: bool) -> None:
        self._files = files
        self._simulation = simulation
        system = simulation.system
        self._mass = total_mass(system)
        self._dof = degrees_of_freedom(system)
        self._dcd_handle = open(files.trajectory, "r+b" if append else "wb")
        self._dcd = app.DCDFile(
            self._dcd_handle, simulation.topology, TIMESTEP_PS * unit.picosecond, 0, frame_steps, append=append
        )
        self._log_handle = open(files.log, "a" if append else "w", newline="")
        self._log = csv.writer(self._log_handle)
        if not append:
            self._log.writerow(LOG_COLUMNS)

    def record(self) -> None:
        """Save the current frame, its log row and the checkpoint."""
        context = self._simulation.context
        state = context.getState(getPositions=True, getVelocities=True, getEnergy=True)
        box = state.getPeriodicBoxVectors(asNumpy=True).value_in_unit(unit.nanometer)
        kinetic = state.getKineticEnergy().value_in_unit(unit.kilojoule_per_mole)
        self._dcd.writeModel(state.getPositions(), periodicBoxVectors=state.getPeriodicBoxVectors())
        self._dcd_handle.flush()
        self._log.writerow([
            f"{state.getTime().value_in_unit(unit.picosecond):.4f}",
            f"{2 * kinetic / (self._dof * _MOLAR_GAS_CONSTANT):.3f}",
            f"{density_g_cm3(self._mass, box):.5f}",
            f"{state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole):.3f}",
        ])
        self._log_handle.flush()
        write_text_atomic(self._files.state, openmm.XmlSerializer.serialize(state))

    def close(self) -> None:
        """Close the trajectory and the log."""
        self._dcd_handle.close()
        self._log_handle.close()


def _start(config: RunConfig, files: RunFiles) -> app.Simulation:
    """Build, minimise and equilibrate a new run; write its config, system and topology."""
    kind = get_system(config.system)
    coexistence = config.coexistence()
    if coexistence is None:
        structure = starting_structure(kind, config.molecules, config.seed, config.platform)
        anisotropic, only_axis = kind.crystal, None
    else:
        structure, crystalline = coexistence_structure(kind, config.molecules, coexistence, config.temperature,
                                                       config.seed, config.platform)
        write_coexistence_labels(labels_path(files.trajectory), kind, coexistence, crystalline, config.temperature)
        anisotropic = bool(crystalline.all())
        partial = kind.coexistence == "slab" and crystalline.any() and not crystalline.all()
        only_axis = (2 if coexistence.axis is None else coexistence.axis) if partial else None
    system = create_system(structure, kind.forcefield_file)
    add_barostat(system, config.temperature, config.pressure, anisotropic, config.seed, only_axis)
    simulation = make_simulation(structure.topology, system, config.temperature, config.seed, config.platform)
    minimise(simulation, structure.positions)
    simulation.context.setVelocitiesToTemperature(config.temperature * unit.kelvin, config.seed)
    log.info("equilibrating: %g ps at %g K and %g bar", config.equilibrate_ps, config.temperature, config.pressure)
    simulation.step(round(config.equilibrate_ps / TIMESTEP_PS))
    simulation.context.setTime(0.0)
    simulation.context.setStepCount(0)
    simulation.currentStep = 0
    state = simulation.context.getState(getPositions=True)
    with open(files.topology, "w") as handle:
        app.PDBFile.writeFile(simulation.topology, state.getPositions(), handle)
    write_text_atomic(files.system, openmm.XmlSerializer.serialize(system))
    write_text_atomic(files.config, json.dumps(asdict(config), indent=2) + "\n")
    return simulation


def _resume(config: RunConfig, files: RunFiles) -> tuple[app.Simulation, int]:
    """Rebuild the Simulation of an existing run from its files; cut the log back to the checkpoint.

    Returns the simulation and the number of frames already saved.
    """
    with reading(files.topology, "PDB file"):
        topology = app.PDBFile(str(files.topology)).topology
    system = read_openmm_xml(files.system, "System")
    state = read_openmm_xml(files.state, "State")
    simulation = make_simulation(topology, system, config.temperature, config.seed, config.platform)
    with reading(files.state, f"OpenMM State XML of the System in {files.system}"):
        simulation.context.setState(state)
    done_ps = state.getTime().value_in_unit(unit.picosecond)
    with reading(files.log, "MD log (CSV)"):
        with open(files.log, newline="") as handle:
            rows = list(csv.reader(handle))
        kept = [rows[0]] + [row for row in rows[1:] if float(row[0]) <= done_ps + 1e-6]
    with open(files.log, "w", newline="") as handle:
        csv.writer(handle).writerows(kept)
    n_frames = dcd_frame_count(files.trajectory)
    if n_frames != len(kept) - 1:
        raise InputError(
            f"cannot resume {files.folder}: trajectory.dcd has {n_frames} frames but the checkpoint is at frame "
            f"{len(kept) - 1} (the run stopped while writing a frame)"
        )
    return simulation, n_frames


def simulate(config: RunConfig, out_dir: str | Path, resume: bool = False, progress: bool = True) -> RunFiles:
    """Run (or resume) NPT MD of an example system and write the run folder.

    A new run builds the system, minimises it, equilibrates ``equilibrate_ps`` ps at constant
    temperature and pressure (anisotropic barostat for crystals), then records ``ps`` ps of
    production. ``resume=True`` continues the run in ``out_dir`` from ``state.xml`` until its
    production reaches ``config.ps``, appending to the trajectory and the log; its other settings
    must equal those in ``config.json``.

    Parameters
    ----------
    config : RunConfig
        Settings of the run.
    out_dir : str or pathlib.Path
        Run folder; created when missing.
    resume : bool
        Continue the run in ``out_dir`` instead of starting a new one.
    progress : bool
        Show a tqdm progress bar (with ETA) on stderr.

    Returns
    -------
    RunFiles
        Paths of the run's files.
    """
    config.validate()
    if resume and not Path(out_dir).is_dir():
        raise InputError(f"cannot resume: {out_dir} is not a directory")
    files = _prepare_folder(Path(out_dir))
    if resume:
        config = _saved_config(files, config)
        simulation, frames_done = _resume(config, files)
    else:
        simulation, frames_done = _start(config, files), 0
    frame_steps = round(config.frame_ps / TIMESTEP_PS)
    n_frames = round(config.ps / config.frame_ps)
    recorder = _Recorder(files, simulation, frame_steps, append=resume)
    started = time.perf_counter()
    try:
        with tqdm(
            total=n_frames * config.frame_ps, initial=frames_done * config.frame_ps, unit="ps",
            desc=f"{config.system} {config.temperature:g} K", disable=not progress,
        ) as bar:
            for _ in range(frames_done, n_frames):
                simulation.step(frame_steps)
                recorder.record()
                bar.update(config.frame_ps)
    finally:
        recorder.close()
    elapsed = time.perf_counter() - started
    ran_ps = max(0, n_frames - frames_done) * config.frame_ps
    if ran_ps > 0:
        log.info(
            "%g ps in %.1f s: %.1f ns/day on %s", ran_ps, elapsed, ns_per_day(ran_ps, elapsed),
            simulation.context.getPlatform().getName(),
        )
    return files
