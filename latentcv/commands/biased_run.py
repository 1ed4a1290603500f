"""What ``latentcv metad`` and ``latentcv pin`` share: reading and checking the System, PDB, State
and CV, the run folder, the start (a State, or the PDB minimised without the bias), checkpoints
(OpenMM's context checkpoint and the bias's own state in one atomic file) and the loop of
reports with a progress bar.

A checkpoint is specific to the platform that wrote it; a resumed run cuts its appended files back
to the checkpoint and continues from it, with the same result as an uninterrupted run on a
deterministic platform (Reference).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import openmm
import torch
from openmm import app, unit
from tqdm import tqdm

from latentcv.atomic import write_text_atomic
from latentcv.cv.heads import ENERGY_COMPONENT
from latentcv.engines.exported import ExportedCV, load
from latentcv.engines.openmm.constraints import check_fixed_bonds
from latentcv.engines.openmm.malloc import keep_freed_memory
from latentcv.engines.openmm.platforms import pick_platform
from latentcv.engines.openmm.run_files import Bias, RunFiles, RunRecorder
from latentcv.engines.openmm.simulation import TIMESTEP_PS, make_simulation, minimise, ns_per_day
from latentcv.engines.openmm.torch_threads import CPU_PLATFORMS, limit_torch_threads_for_platform
from latentcv.errors import EngineError, InputError
from latentcv.readers import read_openmm_xml, reading
from latentcv.systems.structure import Structure, read_pdb
from latentcv.training.checkpoint import save_checkpoint

#: CV evaluations before the run starts. TorchScript's profiling executor runs a module's first
#: calls through an unoptimised graph and then switches to an optimised one whose float results can
#: differ in the last bits; evaluating the CV this many times first (forces, and values alone) puts a
#: new and a resumed run on the same graph, so that resuming is exact.
WARM_UP_EVALUATIONS = 3


def read_inputs(system_xml: str, pdb: str, state_xml: str | None, cv_dir: str,
                components: tuple[int, ...]) -> tuple[openmm.System, Structure, ExportedCV, openmm.State | None]:
    """The System, PDB structure, CV folder and starting State (None without ``state_xml``),
    checked against each other; ``components`` are the CV components to bias."""
    for path, what in ((system_xml, "system XML"), (pdb, "PDB"), (state_xml, "state XML")):
        if path is not None and not Path(path).is_file():
            raise InputError(f"{what} file not found: {path}")
    cv = load(cv_dir)
    for k in components:
        if cv.component(k)["name"] == ENERGY_COMPONENT:
            raise InputError(f"component {k} of {cv_dir} is a bias energy (bias_net, kJ/mol), not a CV: bias "
                             f"another component, or add {cv.openmm_path(k).name} to the System as a TorchForce")
    with reading(pdb, "PDB file"):
        structure = read_pdb(pdb)
    system = read_openmm_xml(system_xml, "System")
    n_particles = system.getNumParticles()
    if structure.positions.shape[0] != n_particles:
        raise InputError(f"{pdb} has {structure.positions.shape[0]} atoms, the System {system_xml} has "
                         f"{n_particles} particles")
    cv.check_particles(n_particles)
    check_fixed_bonds(system, cv)
    state = None
    if state_xml is not None:
        state = read_openmm_xml(state_xml, "State")
        with reading(state_xml, "OpenMM State XML with positions"):
            n_state = len(state.getPositions())
        if n_state != n_particles:
            raise InputError(f"the State {state_xml} has {n_state} particles, the System {system_xml} "
                             f"has {n_particles}")
    return system, structure, cv, state


def prepare_platform(name: str) -> None:
    """Check that the platform ``name`` (or ``auto``'s pick) is available and set up the process for
    it: one torch thread on CPU platforms, and freed memory kept (the CV's temporaries are
    page-faulted in again at every step otherwise)."""
    platform, _ = pick_platform(name)
    limit_torch_threads_for_platform(platform.getName())
    if platform.getName() in CPU_PLATFORMS:
        keep_freed_memory()


def prepare_folder(files: RunFiles, resume: bool, what: str) -> None:
    """Check that ``files.folder`` holds a run to resume (``resume``), or create it for a new run of
    ``what`` (e.g. ``"metadynamics"``)."""
    if resume:
        for path in files.appended:
            if not path.is_file():
                raise InputError(f"cannot resume: {path} is missing")
        return
    if files.checkpoint.exists():
        raise InputError(f"{files.folder} holds a {what} run: add --resume to continue it, or choose another --out")
    try:
        files.folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create output directory {files.folder}: {err.strerror or err}") from None


def start(simulation: app.Simulation, unbiased: openmm.System, structure: Structure, state: openmm.State | None,
          temperature: float, seed: int, platform: str) -> None:
    """Positions and velocities of a new run: from ``state``, or the PDB minimised without the
    bias (``unbiased`` System) and Maxwell-Boltzmann velocities at ``temperature`` (K)."""
    if state is not None:
        simulation.context.setState(state)
        simulation.context.setTime(0.0)
        simulation.currentStep = 0
        return
    plain = make_simulation(structure.topology, openmm.XmlSerializer.clone(unbiased), temperature, seed, platform)
    minimise(plain, structure.positions)
    minimised = plain.context.getState(getPositions=True)
    simulation.context.setPositions(minimised.getPositions())
    simulation.context.setVelocitiesToTemperature(temperature * unit.kelvin, seed)


def warm_up(simulation: app.Simulation, bias: Bias) -> None:
    """Evaluate the CV (and its forces) ``WARM_UP_EVALUATIONS`` times without changing the state."""
    for _ in range(WARM_UP_EVALUATIONS):
        simulation.context.getState(getForces=True, groups={bias.bias_group})
        bias.getCollectiveVariables(simulation)


def save(files: RunFiles, simulation: app.Simulation, extra: dict[str, object]) -> None:
    """Checkpoint (the context, its platform and ``extra``, e.g. the bias, in one atomic file) and state.xml."""
    context = simulation.context
    save_checkpoint(files.checkpoint, {
        "context": torch.frombuffer(bytearray(context.createCheckpoint()), dtype=torch.uint8),
        "platform": context.getPlatform().getName(),
        **extra,
    })
    state = context.getState(getPositions=True, getVelocities=True)
    write_text_atomic(files.state, openmm.XmlSerializer.serialize(state))


def restore(files: RunFiles, simulation: app.Simulation, checkpoint: dict) -> None:
    """Load a checkpoint's context into ``simulation`` (same platform as the one that wrote it)."""
    try:
        simulation.context.loadCheckpoint(checkpoint["context"].numpy().tobytes())
    except openmm.OpenMMException as err:
        raise EngineError(
            f"cannot load {files.checkpoint} on the {simulation.context.getPlatform().getName()} platform "
            f"(written on {checkpoint['platform']}; resume there): {err}"
        ) from None


def run_reports(simulation: app.Simulation, recorder: RunRecorder, advance: Callable[[int], None],
                checkpoint: Callable[[], None], report_steps: int, n_reports: int, checkpoint_reports: int,
                done: int, description: str, progress: bool) -> float:
    """Reports ``done + 1 .. n_reports``: ``advance(report_steps)`` (MD, with the bias's own updates),
    a row and a frame per report, ``checkpoint()`` every ``checkpoint_reports`` reports and at the
    end, a tqdm bar (ps, ns/day, ETA) on stderr when ``progress``. Returns the speed, ns/day."""
    report_ps = report_steps * TIMESTEP_PS
    started, speed = time.perf_counter(), 0.0
    try:
        with tqdm(total=n_reports, initial=done, unit_scale=report_ps, unit="ps", disable=not progress,
                  desc=description, bar_format="{l_bar}{bar}| {n:.4g}/{total:.4g} ps "
                  "[{elapsed}<{remaining}{postfix}]") as bar:
            for report in range(done + 1, n_reports + 1):
                advance(report_steps)
                speed = ns_per_day((report - done) * report_ps, time.perf_counter() - started)
                recorder.record(speed)
                if report % checkpoint_reports == 0 or report == n_reports:
                    checkpoint()
                bar.set_postfix_str(f"{speed:.2f} ns/day")
                bar.update(1)
    finally:
        recorder.close()
    return speed
