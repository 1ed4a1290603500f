"""The floor every latent CV pays: MD throughput with an openmm-torch TorchForce divided by without.

A Lennard-Jones fluid (argon-like, 0.8 reduced density) is run on one OpenMM platform with and
without a TorchForce holding the cheapest periodic module there is (latentcv's LatticeProbe, O(N)).
The ratio isolates the cost of calling into PyTorch every step (positions out, forces back), which no
CV can avoid; a latent CV's own cost comes on top.

Each size runs twice with the TorchForce: with torch's default intra-op threads and with one. Where
OpenMM's CPU platform already keeps every core busy, torch's default thread pool competes with it at
every step, which the two runs show.

Prints a table and writes ``bench/results/torchforce_overhead.json``.

    .venv/bin/python bench/torchforce_overhead.py [--platform CPU] [--sizes 256 1024 4096] [--steps 500]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import latentcv  # noqa: F401  (torch before openmm)
import numpy as np
import openmm
import torch
from openmm import unit

from latentcv.engines.openmm.platforms import pick_platform
from latentcv.engines.openmm.simulation import TIMESTEP_PS, ns_per_day
from latentcv.engines.openmm.torchforce import make_torch_force
from latentcv.engines.probe import LatticeProbe

SIGMA, EPSILON, MASS = 0.34, 0.996, 39.9  # nm, kJ/mol, dalton (argon)


def lj_system(n: int, seed: int) -> tuple[openmm.System, np.ndarray]:
    """n LJ particles on a jittered cubic lattice at reduced density 0.8."""
    side = (n * SIGMA**3 / 0.8) ** (1 / 3)
    per_side = int(np.ceil(n ** (1 / 3)))
    grid = np.stack(np.meshgrid(*[np.arange(per_side)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    rng = np.random.default_rng(seed)
    positions = (grid + 0.5 + rng.normal(0, 0.02, grid.shape)) * side / per_side
    system = openmm.System()
    system.setDefaultPeriodicBoxVectors(openmm.Vec3(side, 0, 0), openmm.Vec3(0, side, 0), openmm.Vec3(0, 0, side))
    nb = openmm.NonbondedForce()
    nb.setNonbondedMethod(openmm.NonbondedForce.CutoffPeriodic)
    nb.setCutoffDistance(min(1.0, 0.49 * side))
    for _ in range(n):
        system.addParticle(MASS)
        nb.addParticle(0.0, SIGMA, EPSILON)
    system.addForce(nb)
    return system, positions


def measure_ns_per_day(system: openmm.System, positions: np.ndarray, platform: str, steps: int) -> float:
    """Throughput of Langevin dynamics at 2 fs after a warm-up of 50 steps."""
    plat, props = pick_platform(platform)
    integrator = openmm.LangevinMiddleIntegrator(120 * unit.kelvin, 1 / unit.picosecond, TIMESTEP_PS * unit.picosecond)
    context = openmm.Context(system, integrator, plat, props)
    context.setPositions(positions * unit.nanometer)
    openmm.LocalEnergyMinimizer.minimize(context, maxIterations=100)
    integrator.step(50)
    context.getState(getEnergy=True)
    start = time.perf_counter()
    integrator.step(steps)
    context.getState(getEnergy=True)  # wait for the platform to finish
    elapsed = time.perf_counter() - start
    return ns_per_day(steps * TIMESTEP_PS, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="CPU")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    rows = []
    print(f"{'N':>6} {'plain ns/day':>13} {f'torch {default_threads} thr':>12} {'ratio':>6} "
          f"{'torch 1 thr':>12} {'ratio':>6}")
    for n in args.sizes:
        system, positions = lj_system(n, seed=n)
        plain = measure_ns_per_day(system, positions, args.platform, args.steps)
        system.addForce(make_torch_force(LatticeProbe(k=1e-3), periodic=True))
        torch.set_num_threads(default_threads)
        many = measure_ns_per_day(system, positions, args.platform, args.steps)
        torch.set_num_threads(1)
        one = measure_ns_per_day(system, positions, args.platform, args.steps)
        rows.append({"n": n, "plain_ns_day": plain, "torch_threads": default_threads,
                     "torch_default_ns_day": many, "torch_1thread_ns_day": one,
                     "ratio_default": many / plain, "ratio_1thread": one / plain})
        print(f"{n:>6} {plain:>13.1f} {many:>12.1f} {many / plain:>6.2f} {one:>12.1f} {one / plain:>6.2f}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "torchforce_overhead.json").write_text(json.dumps({"platform": args.platform, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
