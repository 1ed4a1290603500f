"""MD throughput with the latent-CV metadynamics bias divided by throughput without it, one platform, one run.

An ice Ih box of TIP4P/Ice molecules (PME, rigid water, Monte Carlo barostat, 270 K, 1 bar; the
System ``latentcv simulate`` builds) runs on one OpenMM platform without a bias (Langevin, 2 fs)
and with the bias ``latentcv metad`` adds: well-tempered ``openmm.app.Metadynamics``
(:class:`latentcv.engines.openmm.bias.ResumableMetadynamics`) whose ``CustomCVForce`` holds the
exported progress CV (with fixed bonds, ``latentcv export --constrained-bonds``, unless
``--no-constrained-bonds``) as an openmm-torch TorchForce
(:func:`latentcv.engines.openmm.cv_force.bias_variable`), once per ``--mts`` value K: K = 1 is plain
Langevin at 2 fs, K > 1 multiple time stepping with the bias as an impulse every K x 2 fs
(:class:`latentcv.engines.openmm.mts.ImpulseMTSIntegrator`; see there when it is safe).
The barostat moves every ``--barostat-interval`` steps in both runs; each move of the biased run
evaluates the CV twice more (three times with K > 1). Both runs start from the same minimised and
briefly equilibrated state; ns/day is measured over ``--steps`` 2 fs steps of each after a warm-up,
in ``--rounds`` alternating chunks (unbiased, biased, unbiased, ...), so that a machine whose speed
drifts during the run does not skew the ratio. On a CPU platform torch runs with one thread and glibc's
malloc keeps freed memory (:func:`latentcv.engines.openmm.malloc.keep_freed_memory`), as in
``latentcv metad``.

Targets: ratio >= 0.5 for 1,024 molecules on the CPU, >= 0.7 for 4,096 on a GPU. The published
anchor is 0.04 (432 TIP4P waters with a TorchForce, openmm issue 5167).

Prints a table and writes ``<out>/md_overhead.json`` and ``<out>/md_overhead.png``::

    .venv/bin/python bench/md_overhead.py [--platform auto] [--molecules 1024] [--mts 1 4]
                                          [--steps 500] [--rounds 5] [--warmup 50]
                                          [--barostat-interval 25] [--no-constrained-bonds]
                                          [--out bench/results]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import latentcv  # noqa: F401  (torch before openmm)
import numpy as np
import openmm
import torch
from _common import (
    IceCV, Timing, add_bonds_option, base_parser, ice_with_cv, new_figure, print_table, save_figure, timed,
    write_json,
)
from openmm import app, unit

from latentcv.engines.exported import load
from latentcv.engines.openmm.bias import ResumableMetadynamics
from latentcv.engines.openmm.constraints import check_fixed_bonds
from latentcv.engines.openmm.cv_force import bias_variable
from latentcv.engines.openmm.malloc import keep_freed_memory
from latentcv.engines.openmm.mts import make_integrator
from latentcv.engines.openmm.platforms import pick_platform
from latentcv.engines.openmm.simulation import (
    BAROSTAT_INTERVAL, TIMESTEP_PS, add_barostat, create_system, make_simulation, minimise, ns_per_day,
    set_barostat_interval,
)
from latentcv.engines.openmm.torch_threads import CPU_PLATFORMS, limit_torch_threads_for_platform
from latentcv.systems import tip4p_ice

NAME = "md_overhead"
TEMPERATURE_K, PRESSURE_BAR, SEED = 270.0, 1.0, 1
#: Well-tempered bias factor and initial hill height (kJ/mol): ``latentcv metad``'s defaults.
BIAS_FACTOR, HEIGHT_KJ_MOL = 10.0, 1.0
#: Default system size and target ratio on CPU platforms and on GPUs.
CPU_MOLECULES, CPU_TARGET = 1024, 0.5
GPU_MOLECULES, GPU_TARGET = 4096, 0.7
GPU_PLATFORMS = ("CUDA", "OpenCL", "HIP")
#: Fewest outer steps of the biased warm-up: TorchScript optimises the CV after its first calls.
WARMUP_EVALUATIONS = 3


def ice_system(ice: IceCV, barostat_interval: int) -> openmm.System:
    """The unbiased System of ``ice``: TIP4P/Ice with PME and the anisotropic barostat of crystals,
    moving every ``barostat_interval`` steps."""
    system = create_system(ice.structure, tip4p_ice.FORCEFIELD_FILE)
    add_barostat(system, TEMPERATURE_K, PRESSURE_BAR, anisotropic=True, seed=SEED)
    set_barostat_interval(system, barostat_interval)
    return system


def _finish(simulation: app.Simulation) -> None:
    """Wait until the platform has finished (positions only: no extra force evaluation)."""
    simulation.context.getState(getPositions=True)


def plain_simulation(ice: IceCV, platform: str, warmup: int, barostat_interval: int) -> app.Simulation:
    """The unbiased Simulation, minimised, with velocities, after ``warmup`` steps."""
    simulation = make_simulation(ice.structure.topology, ice_system(ice, barostat_interval), TEMPERATURE_K, SEED,
                                 platform)
    minimise(simulation, ice.structure.positions)
    simulation.context.setVelocitiesToTemperature(TEMPERATURE_K * unit.kelvin, SEED)
    simulation.step(warmup)
    _finish(simulation)
    return simulation


def biased_simulation(
    ice: IceCV, platform: str, state: openmm.State, mts: int, warmup: int, pace: int, barostat_interval: int
) -> tuple[app.Simulation, ResumableMetadynamics]:
    """The biased Simulation (bias every ``mts`` steps) from ``state``, after ``warmup`` steps rounded
    up to whole cycles (at least WARMUP_EVALUATIONS of the bias), and its metadynamics.

    ``warmup`` and ``pace`` count 2 fs steps, as ``latentcv metad`` does.
    """
    system = ice_system(ice, barostat_interval)
    check_fixed_bonds(system, load(ice.cv_dir))
    metad = ResumableMetadynamics(system, [bias_variable(ice.cv_dir, 0)], TEMPERATURE_K, BIAS_FACTOR, HEIGHT_KJ_MOL,
                                  pace)
    integrator = make_integrator(system, TEMPERATURE_K, SEED, mts, metad.bias_group)
    simulation = make_simulation(ice.structure.topology, system, TEMPERATURE_K, SEED, platform, integrator)
    simulation.context.setState(state)
    metad.step(simulation, _whole_cycles(max(WARMUP_EVALUATIONS * mts, warmup), mts))
    _finish(simulation)
    return simulation, metad


def interleaved(
    plain: app.Simulation, biased: app.Simulation, metad: ResumableMetadynamics, steps: int, rounds: int, mts: int
) -> tuple[Timing, Timing, int]:
    """Timings of ``rounds`` alternating chunks of unbiased and biased MD, about ``steps`` 2 fs steps
    of each in all (chunks of whole cycles of ``mts``), and the steps each made. Alternating keeps a
    machine whose speed drifts (shared virtual machines) from skewing the ratio."""
    chunk = _whole_cycles(max(1, steps // rounds), mts)
    plain_time, biased_time = Timing(), Timing()
    for _ in range(rounds):
        with timed() as timing:
            plain.step(chunk)
            _finish(plain)
        plain_time += timing
        with timed() as timing:
            metad.step(biased, chunk)
            _finish(biased)
        biased_time += timing
    return plain_time, biased_time, chunk * rounds


def _whole_cycles(steps: int, mts: int) -> int:
    """``steps`` rounded up to a multiple of ``mts``."""
    return -(-steps // mts) * mts


def plot(rows: Sequence[dict[str, Any]], plain: float, target: float, model: str, out: Path) -> Path:
    """ns/day without and with the bias of ``model`` (per MTS factor), and the ratio against the target."""
    fig, ax = new_figure(6.0, 4.0)
    labels = ["no bias"] + [f"bias, mts {r['mts']}" for r in rows]
    speeds = [plain] + [r.get("biased_ns_day", 0.0) for r in rows]
    bars = ax.bar(labels, speeds, color=["grey"] + ["C0"] * len(rows))
    for bar, row in zip(bars[1:], rows):
        text = f"{row['ratio']:.2f}" if "ratio" in row else "failed"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom")
    ax.axhline(target * plain, color="C3", ls="--", label=f"target ratio {target:g}")
    ax.set_ylabel("ns/day")
    ax.set_title(f"MD throughput with the {model} bias (numbers: ratio to no bias)", fontsize=9)
    ax.legend(fontsize=8)
    return save_figure(fig, out, NAME)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = base_parser(__doc__)
    add_bonds_option(parser)
    parser.add_argument("--platform", default="auto", help="OpenMM platform (default auto: CUDA, OpenCL, then CPU)")
    parser.add_argument("--molecules", type=int, default=None,
                        help=f"requested ice molecules (default {CPU_MOLECULES} on CPU platforms, "
                        f"{GPU_MOLECULES} on GPUs)")
    parser.add_argument("--mts", type=int, nargs="+", default=[1, 4], help="bias every K steps of 2 fs; one run per K")
    parser.add_argument("--steps", type=int, default=500, help="timed 2 fs steps per run, biased and unbiased each")
    parser.add_argument("--warmup", type=int, default=50, help="untimed 2 fs steps before each timed run")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating unbiased/biased chunks the steps are cut into")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch intra-op threads (default: latentcv metad's choice, 1 on CPU platforms)")
    parser.add_argument("--release-memory", action="store_true",
                        help="leave glibc's malloc at its defaults (latentcv metad keeps freed memory on CPU "
                        "platforms)")
    parser.add_argument("--pace", type=int, default=500, help="2 fs steps between hills (latentcv metad's default)")
    parser.add_argument("--barostat-interval", type=int, default=BAROSTAT_INTERVAL,
                        help=f"steps between barostat moves, with and without the bias (default {BAROSTAT_INTERVAL}, "
                        "latentcv's systems; latentcv metad --barostat-interval)")
    return parser.parse_args(argv)


COLUMNS = [("mts", "mts", "d"), ("plain_ns_day", "plain ns/day", ".2f"), ("biased_ns_day", "biased ns/day", ".2f"),
           ("ratio", "ratio", ".3f"), ("bias_ms_per_evaluation", "bias ms/eval", ".1f"),
           ("biased_cpu_ms_per_step", "cpu ms/step", ".1f"), ("biased_sys_ms_per_step", "sys ms/step", ".2f")]


def biased_row(
    ice: IceCV, platform: str, plain: app.Simulation, mts: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One table row (printed at once): MD with the bias every ``mts`` steps against unbiased MD,
    interleaved (:func:`interleaved`); a failed run (e.g. NaN coordinates, K too large for the
    bias) gives a row with its ``error``."""
    state = plain.context.getState(getPositions=True, getVelocities=True)
    try:
        biased, metad = biased_simulation(ice, platform, state, mts, args.warmup, args.pace, args.barostat_interval)
        plain_time, biased_time, steps = interleaved(plain, biased, metad, args.steps, args.rounds, mts)
    except openmm.OpenMMException as err:
        row = {"mts": mts, "error": str(err).splitlines()[0]}
        print(f"mts {mts}: failed: {row['error']}")
        return row
    plain_ns_day = ns_per_day(steps * TIMESTEP_PS, plain_time.wall_s)
    biased_ns_day = ns_per_day(steps * TIMESTEP_PS, biased_time.wall_s)
    extra_per_step = (biased_time.wall_s - plain_time.wall_s) / steps
    row = {"mts": mts, "steps": steps, "plain_ns_day": plain_ns_day, "biased_ns_day": biased_ns_day,
           "ratio": biased_ns_day / plain_ns_day, "bias_ms_per_evaluation": extra_per_step * mts * 1e3,
           "plain_cpu_ms_per_step": (plain_time.user_s + plain_time.sys_s) / steps * 1e3,
           "biased_cpu_ms_per_step": (biased_time.user_s + biased_time.sys_s) / steps * 1e3,
           "biased_sys_ms_per_step": biased_time.sys_s / steps * 1e3}
    print_table([row], COLUMNS, header=mts == args.mts[0])
    return row


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; return what was written to ``md_overhead.json``."""
    args = parse_args(argv)
    platform = pick_platform(args.platform)[0].getName()
    torch_threads = limit_torch_threads_for_platform(platform)
    if args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
        torch_threads = torch.get_num_threads()
    on_gpu = platform in GPU_PLATFORMS
    kept = platform in CPU_PLATFORMS and not args.release_memory and keep_freed_memory()
    requested = args.molecules or (GPU_MOLECULES if on_gpu else CPU_MOLECULES)
    target = GPU_TARGET if on_gpu else CPU_TARGET
    with tempfile.TemporaryDirectory(prefix="latentcv-md-overhead-") as work:
        ice = ice_with_cv(requested, Path(work), args.model, constrained_bonds=args.constrained_bonds)
        plain = plain_simulation(ice, platform, args.warmup, args.barostat_interval)
        rows = [biased_row(ice, platform, plain, k, args) for k in args.mts]
    plain_ns_day = float(np.mean([row["plain_ns_day"] for row in rows if "plain_ns_day" in row] or [0.0]))
    print(f"{platform}, {ice.n_molecules} molecules, model {args.model.name}; target ratio >= {target:g} "
          "(published anchor 0.04)")
    payload = {
        "benchmark": NAME,
        "platform": platform,
        "model": str(args.model),
        "requested_molecules": requested,
        "molecules": ice.n_molecules,
        "particles": int(np.asarray(ice.structure.positions).shape[0]),
        "temperature_K": TEMPERATURE_K,
        "steps": args.steps,
        "warmup": args.warmup,
        "pace": args.pace,
        "barostat_interval": args.barostat_interval,
        "torch_threads": torch_threads,
        "constrained_bonds": args.constrained_bonds,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "keep_freed_memory": kept,
        "rounds": args.rounds,
        "plain_ns_day": plain_ns_day,
        "target_ratio": target,
        "published_anchor_ratio": 0.04,
        "rows": rows,
    }
    write_json(args.out, NAME, payload)
    plot(rows, payload["plain_ns_day"], target, args.model.name, args.out)
    return payload


if __name__ == "__main__":
    main()
