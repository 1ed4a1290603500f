"""``latentcv metad``: well-tempered metadynamics, OPES or OPES-explore on an exported CV in OpenMM.

Each biased CV component is one openmm-torch TorchForce wrapped in an ``openmm.app.BiasVariable``
(range, width and grid from the CV's metadata, :func:`latentcv.engines.openmm.cv_force.bias_variable`);
``openmm.app.Metadynamics`` (through :class:`latentcv.engines.openmm.bias.ResumableMetadynamics`) deposits
the hills, or with ``method="opes"``/``"opes-explore"`` ``openmm_opes.OPES`` (through
:class:`latentcv.engines.openmm.opes.ResumableOPES`) the kernels. The run folder
(:class:`latentcv.engines.openmm.metad_outputs.MetadFiles`) gets colvar.csv, log.csv,
trajectory.dcd, bias.npy, fes.npy, grid.npz, fes.png, cv_time.png, config.json, state.xml and
checkpoint.pt.

Checkpoints (every ``checkpoint_interval`` steps and at the end) hold OpenMM's context checkpoint
(positions, velocities, box, step count, random number state) and the bias in one file, written
atomically; ``resume=True`` rebuilds the run from it and cuts the appended files back to it, so
that a resumed run continues where the checkpoint was taken, with the same result as an
uninterrupted run on a deterministic platform (Reference). A checkpoint is specific to the
platform that wrote it (:mod:`latentcv.commands.biased_run`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import openmm
from openmm import app

from latentcv.commands.biased_run import (prepare_folder, prepare_platform, read_inputs, restore, run_reports, save,
                                         start, warm_up)
from latentcv.commands.metad_config import MetadConfig
from latentcv.engines.exported import ExportedCV
from latentcv.engines.openmm.bias import ResumableMetadynamics
from latentcv.engines.openmm.cv_force import bias_variable
from latentcv.engines.openmm.metad_outputs import MetadFiles, write_bias_files
from latentcv.engines.openmm.metad_plots import plot_cv_time, plot_free_energy
from latentcv.engines.openmm.mts import make_integrator
from latentcv.engines.openmm.opes import ResumableOPES
from latentcv.engines.openmm.run_files import RunRecorder
from latentcv.engines.openmm.simulation import make_simulation, set_barostat_interval
from latentcv.errors import InputError
from latentcv.training.checkpoint import load_checkpoint

log = logging.getLogger(__name__)


def _biased_system(config: MetadConfig, unbiased: openmm.System,
                   cv: ExportedCV) -> tuple[openmm.System, ResumableMetadynamics | ResumableOPES]:
    """A copy of the System with the bias of ``config.method`` on the chosen components."""
    system = openmm.XmlSerializer.clone(unbiased)
    if config.barostat_interval is not None and not set_barostat_interval(system, config.barostat_interval):
        raise InputError(f"--barostat-interval: {config.system_xml} has no barostat (constant volume)")
    sigmas = config.sigma or (None,) * len(config.components)
    variables = [bias_variable(cv.folder, k, sigma=s) for k, s in zip(config.components, sigmas)]
    walkers_dir = None
    if config.walkers_dir is not None:
        walkers_dir = Path(config.walkers_dir)
        walkers_dir.mkdir(parents=True, exist_ok=True)
    if config.method == "metad":
        return system, ResumableMetadynamics(system, variables, config.temperature, config.bias_factor, config.height,
                                             config.pace, walkers_dir, config.walker_id)
    return system, ResumableOPES(system, variables, config.temperature, config.barrier, config.pace,
                                 config.bias_factor, config.method == "opes-explore", walkers_dir, config.walker_id)


def _save(files: MetadFiles, simulation: app.Simulation, metad: ResumableMetadynamics | ResumableOPES,
          names: list[str]) -> None:
    """Checkpoint (context and bias in one atomic file), state.xml and the bias files."""
    save(files, simulation, {"bias": metad.bias_state()})
    write_bias_files(files, metad, names)


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
    files = MetadFiles(Path(config.out))
    prepare_folder(files, resume, "metadynamics")
    if resume:
        config = config.resumed(files.config)
    unbiased, structure, cv, state = read_inputs(config.system_xml, config.pdb, config.state, config.cv,
                                                 config.components)
    names = [cv.names[k] for k in config.components]
    prepare_platform(config.platform)
    system, metad = _biased_system(config, unbiased, cv)
    checkpoint = load_checkpoint(files.checkpoint) if resume else None
    if checkpoint is not None:
        metad.restore(checkpoint["bias"])
    elif metad.own_bias_files():
        raise InputError(f"walker {config.walker_id} already has a bias in {config.walkers_dir}: "
                         "resume its run (--resume) or choose another --walker-id")
    if config.walkers_dir is not None and isinstance(metad, ResumableMetadynamics):
        metad.join_walkers()  # OPES shares its kernels at its first deposition
    integrator = make_integrator(system, config.temperature, config.seed, config.mts, metad.bias_group)
    simulation = make_simulation(structure.topology, system, config.temperature, config.seed, config.platform,
                                 integrator)
    report_steps = config.report_interval
    metad.apply_bias(simulation.context)
    if checkpoint is not None:
        restore(files, simulation, checkpoint)
    else:
        start(simulation, unbiased, structure, state, config.temperature, config.seed, config.platform)
    warm_up(simulation, metad)
    files.config.write_text(config.to_json())
    done = simulation.currentStep // report_steps
    recorder = RunRecorder(files, simulation, metad, names, report_steps, done + 1 if resume else None)
    if not resume:
        recorder.record(0.0)
        _save(files, simulation, metad, names)
    speed = run_reports(simulation, recorder, lambda steps: metad.step(simulation, steps),
                        lambda: _save(files, simulation, metad, names), report_steps, config.n_reports,
                        config.checkpoint_interval // report_steps, done, f"{config.method} {config.temperature:g} K",
                        progress)
    if config.n_reports > done:
        log.info("%.4g ns/day on %s", speed, simulation.context.getPlatform().getName())
    write_bias_files(files, metad, names)
    plot_free_energy(metad.free_energy_grid(), metad.grid_axes(), names, files.fes_png)
    plot_cv_time(files.colvar, files.cv_time_png)
    return files

