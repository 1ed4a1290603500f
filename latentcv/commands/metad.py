"""``latentcv metad``: well-tempered metadynamics on an exported latent CV in OpenMM.

Each biased CV component is one openmm-torch TorchForce wrapped in an ``openmm.app.BiasVariable``
(range, width and grid from the CV's metadata, :func:`latentcv.engines.openmm.cv_force.bias_variable`);
``openmm.app.Metadynamics`` (through :class:`latentcv.engines.openmm.bias.ResumableMetadynamics`) deposits
the hills. The run folder (:class:`latentcv.engines.openmm.metad_outputs.MetadFiles`) gets colvar.csv, log.csv,
trajectory.dcd, bias.npy, fes.npy, grid.npz, fes.png, cv_time.png, config.json, state.xml and
checkpoint.pt.

Checkpoints (every ``checkpoint_interval`` steps and at the end) hold OpenMM's context checkpoint
(positions, velocities, box, step count, random number state) and the bias in one file, written
atomically; ``resume=True`` rebuilds the run from it and cuts the appended files back to it, so
that a resumed run continues where the checkpoint was taken, with the same result as an
uninterrupted run on a deterministic platform (Reference). A checkpoint is specific to the
platform that wrote it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import openmm
import torch
from openmm import app, unit
from tqdm import tqdm

from latentcv.atomic import write_text_atomic
from latentcv.commands.metad_config import MetadConfig
from latentcv.cv.heads import ENERGY_COMPONENT
from latentcv.engines.exported import ExportedCV, load
from latentcv.engines.openmm.bias import ResumableMetadynamics
from latentcv.engines.openmm.constraints import check_fixed_bonds
from latentcv.engines.openmm.cv_force import bias_variable
from latentcv.engines.openmm.malloc import keep_freed_memory
from latentcv.engines.openmm.metad_outputs import MetadFiles, MetadRecorder, write_bias_files
from latentcv.engines.openmm.metad_plots import plot_cv_time, plot_free_energy
from latentcv.engines.openmm.mts import make_integrator
from latentcv.engines.openmm.platforms import pick_platform
from latentcv.engines.openmm.simulation import TIMESTEP_PS, make_simulation, minimise, ns_per_day, set_barostat_interval
from latentcv.engines.openmm.torch_threads import CPU_PLATFORMS, limit_torch_threads_for_platform
from latentcv.errors import EngineError, InputError
from latentcv.readers import read_openmm_xml, reading
from latentcv.systems.structure import Structure, read_pdb
from latentcv.training.checkpoint import load_checkpoint, save_checkpoint

log = logging.getLogger(__name__)


def _read_inputs(config: MetadConfig) -> tuple[openmm.System, Structure, ExportedCV, openmm.State | None]:
    """The System, PDB structure, CV folder and starting State (None without ``config.state``),
    checked against each other."""
    for path, what in ((config.system_xml, "system XML"), (config.pdb, "PDB"), (config.state, "state XML")):
        if path is not None and not Path(path).is_file():
            raise InputError(f"{what} file not found: {path}")
    cv = load(config.cv)
    for k in config.components:
        if cv.component(k)["name"] == ENERGY_COMPONENT:
            raise InputError(f"component {k} of {config.cv} is a bias energy (bias_net, kJ/mol), not a CV: bias "
                             f"another component, or add {cv.openmm_path(k).name} to the System as a TorchForce")
    with reading(config.pdb, "PDB file"):
        structure = read_pdb(config.pdb)
    system = read_openmm_xml(config.system_xml, "System")
    n_particles = system.getNumParticles()
    if structure.positions.shape[0] != n_particles:
        raise InputError(
            f"{config.pdb} has {structure.positions.shape[0]} atoms, the System {config.system_xml} has "
            f"{n_particles} particles"
        )
    cv.check_particles(n_particles)
    check_fixed_bonds(system, cv)
    state = None
    if config.state is not None:
        state = read_openmm_xml(config.state, "State")
        with reading(config.state, "OpenMM State XML with positions"):
            n_state = len(state.getPositions())
        if n_state != n_particles:
            raise InputError(f"the State {config.state} has {n_state} particles, the System {config.system_xml} "
                             f"has {n_particles}")
    return system, structure, cv, state


def _prepare_folder(config: MetadConfig, resume: bool) -> MetadFiles:
    files = MetadFiles(Path(config.out))
    if resume:
        for path in (files.config, files.checkpoint, files.colvar, files.log, files.trajectory):
            if not path.is_file():
                raise InputError(f"cannot resume: {path} is missing")
        return files
    if files.checkpoint.exists():
        raise InputError(f"{files.folder} holds a metadynamics run: add --resume to continue it, or choose another "
                         "--out")
    try:
        files.folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create output directory {files.folder}: {err.strerror or err}") from None
    return files


def _biased_system(config: MetadConfig, unbiased: openmm.System,
                   cv: ExportedCV) -> tuple[openmm.System, ResumableMetadynamics]:
    """A copy of the System with the metadynamics bias on the chosen components."""
    system = openmm.XmlSerializer.clone(unbiased)
    if config.barostat_interval is not None and not set_barostat_interval(system, config.barostat_interval):
        raise InputError(f"--barostat-interval: {config.system_xml} has no barostat (constant volume)")
    sigmas = config.sigma or (None,) * len(config.components)
    variables = [bias_variable(cv.folder, k, sigma=s) for k, s in zip(config.components, sigmas)]
    walkers_dir = None
    if config.walkers_dir is not None:
        walkers_dir = Path(config.walkers_dir)
        walkers_dir.mkdir(parents=True, exist_ok=True)
    metad = ResumableMetadynamics(
        system, variables, config.temperature, config.bias_factor, config.height, config.pace,
        walkers_dir, config.walker_id,
    )
    return system, metad


def _start(config: MetadConfig, simulation: app.Simulation, system: openmm.System, structure: Structure,
           state: openmm.State | None) -> None:
    """Positions and velocities of a new run: from ``state`` (``config.state``), or the PDB minimised
    without the bias and Maxwell-Boltzmann velocities."""
    if state is not None:
        simulation.context.setState(state)
        simulation.context.setTime(0.0)
        simulation.currentStep = 0
        return
    unbiased = make_simulation(structure.topology, openmm.XmlSerializer.clone(system), config.temperature,
                               config.seed, config.platform)
    minimise(unbiased, structure.positions)
    minimised = unbiased.context.getState(getPositions=True)
    simulation.context.setPositions(minimised.getPositions())
    simulation.context.setVelocitiesToTemperature(config.temperature * unit.kelvin, config.seed)


#: CV evaluations before the run starts. TorchScript's profiling executor runs a module's first
#: calls through an unoptimised graph and then switches to an optimised one whose float results can
#: differ in the last bits; evaluating the CV this many times first (forces, and values alone) puts a
#: new and a resumed run on the same graph, so that resuming is exact.
WARM_UP_EVALUATIONS = 3


def _warm_up(simulation: app.Simulation, metad: ResumableMetadynamics) -> None:
    """Evaluate the CV (and its forces) ``WARM_UP_EVALUATIONS`` times without changing the state."""
    for _ in range(WARM_UP_EVALUATIONS):
        simulation.context.getState(getForces=True, groups={metad.bias_group})
        metad.getCollectiveVariables(simulation)


def _save(files: MetadFiles, simulation: app.Simulation, metad: ResumableMetadynamics, names: list[str]) -> None:
    """Checkpoint (context and bias in one atomic file), state.xml and the bias files."""
    context = simulation.context
    save_checkpoint(files.checkpoint, {
        "context": torch.frombuffer(bytearray(context.createCheckpoint()), dtype=torch.uint8),
        "bias": metad.bias_state(),
        "platform": context.getPlatform().getName(),
    })
    state = context.getState(getPositions=True, getVelocities=True)
    write_text_atomic(files.state, openmm.XmlSerializer.serialize(state))
    write_bias_files(files, metad, names)


def _restore(files: MetadFiles, simulation: app.Simulation, checkpoint: dict) -> None:
    try:
        simulation.context.loadCheckpoint(checkpoint["context"].numpy().tobytes())
    except openmm.OpenMMException as err:
        raise EngineError(
            f"cannot load {files.checkpoint} on the {simulation.context.getPlatform().getName()} platform "
            f"(written on {checkpoint['platform']}; resume there): {err}"
        ) from None


def run_metad(config: MetadConfig, resume: bool = False, progress: bool = True) -> MetadFiles:
    """Run (or resume) well-tempered metadynamics on an exported CV and write the run folder.

    Parameters
    ----------
    config : MetadConfig
        Settings; on resume, those saved in the folder are used, with ``ns`` and ``platform``
        from ``config``.
    resume : bool
        Continue the run in ``config.out`` from its checkpoint until it reaches ``config.ns``.
    progress : bool
        Show a tqdm progress bar (ps done, ns/day, ETA) on stderr.

    Returns
    -------
    MetadFiles
        Paths of the run's files.

    Raises
    ------
    InputError
        Missing or inconsistent files or settings.
    EngineError
        A platform that is not available, or a checkpoint from another platform.
    """
    config.validate()
    files = _prepare_folder(config, resume)
    if resume:
        config = config.resumed(files.config)
    unbiased, structure, cv, state = _read_inputs(config)
    names = [cv.names[k] for k in config.components]
    platform, _ = pick_platform(config.platform)
    limit_torch_threads_for_platform(platform.getName())
    if platform.getName() in CPU_PLATFORMS:
        keep_freed_memory()  # the CV's temporaries are page-faulted in again at every step otherwise
    system, metad = _biased_system(config, unbiased, cv)
    checkpoint = load_checkpoint(files.checkpoint) if resume else None
    if checkpoint is not None:
        metad.restore(checkpoint["bias"])
    elif metad.own_bias_files():
        raise InputError(f"walker {config.walker_id} already has a bias in {config.walkers_dir}: "
                         "resume its run (--resume) or choose another --walker-id")
    if config.walkers_dir is not None:
        metad.join_walkers()
    integrator = make_integrator(system, config.temperature, config.seed, config.mts, metad.bias_group)
    simulation = make_simulation(structure.topology, system, config.temperature, config.seed, config.platform,
                                 integrator)
    report_steps = config.report_interval
    metad.apply_bias(simulation.context)
    if checkpoint is not None:
        _restore(files, simulation, checkpoint)
    else:
        _start(config, simulation, unbiased, structure, state)
    _warm_up(simulation, metad)
    files.config.write_text(config.to_json())
    done = simulation.currentStep // report_steps
    recorder = MetadRecorder(files, simulation, metad, names, report_steps, done + 1 if resume else None)
    if not resume:
        recorder.record(0.0)
        _save(files, simulation, metad, names)
    _run(config, simulation, metad, recorder, files, names, done, progress)
    plot_free_energy(metad.free_energy_grid(), metad.grid_axes(), names, files.fes_png)
    plot_cv_time(files.colvar, files.cv_time_png)
    return files


def _run(
    config: MetadConfig,
    simulation: app.Simulation,
    metad: ResumableMetadynamics,
    recorder: MetadRecorder,
    files: MetadFiles,
    names: list[str],
    done: int,
    progress: bool,
) -> None:
    """Reports ``done + 1 .. config.n_reports``: MD with hills, a row per report, checkpoints."""
    report_steps = config.report_interval
    report_ps = config.report_interval * TIMESTEP_PS
    reports_per_checkpoint = config.checkpoint_interval // config.report_interval
    started, speed = time.perf_counter(), 0.0
    try:
        with tqdm(total=config.n_reports, initial=done, unit_scale=report_ps, unit="ps", disable=not progress,
                  desc=f"metad {config.temperature:g} K", bar_format="{l_bar}{bar}| {n:.4g}/{total:.4g} ps "
                  "[{elapsed}<{remaining}{postfix}]") as bar:
            for report in range(done + 1, config.n_reports + 1):
                metad.step(simulation, report_steps)
                speed = ns_per_day((report - done) * report_ps, time.perf_counter() - started)
                recorder.record(speed)
                if report % reports_per_checkpoint == 0 or report == config.n_reports:
                    _save(files, simulation, metad, names)
                bar.set_postfix_str(f"{speed:.2f} ns/day")
                bar.update(1)
    finally:
        recorder.close()
    if config.n_reports > done:
        log.info("%.4g ns/day on %s", speed, simulation.context.getPlatform().getName())
    write_bias_files(files, metad, names)
