"""OpenMM objects for a built structure: the System (PME, constraints), barostat, Simulation."""

from __future__ import annotations

import numpy as np
import openmm
from openmm import app, unit

from latentcv.engines.openmm.platforms import pick_platform
from latentcv.systems.forcefields import NONBONDED_CUTOFF_NM, load_forcefield
from latentcv.systems.structure import Structure

#: Integration time step (ps): 2 fs, with rigid water and constrained X-H bonds.
TIMESTEP_PS = 0.002
#: Langevin friction (1/ps).
FRICTION_PER_PS = 1.0
#: Steps between Monte Carlo barostat moves.
BAROSTAT_INTERVAL = 25
#: g/cm3 per (g/mol / nm3).
_G_CM3_PER_DALTON_NM3 = 1.0 / 602.214076


def create_system(structure: Structure, forcefield_file: str) -> openmm.System:
    """An OpenMM System: PME and LJ cut at :data:`NONBONDED_CUTOFF_NM` with the long-range
    dispersion correction, rigid water, constrained bonds to hydrogen."""
    return load_forcefield(forcefield_file).createSystem(
        structure.topology,
        nonbondedMethod=app.PME,
        nonbondedCutoff=NONBONDED_CUTOFF_NM * unit.nanometer,
        constraints=app.HBonds,
        rigidWater=True,
        ewaldErrorTolerance=5e-4,
    )


def add_barostat(system: openmm.System, temperature_k: float, pressure_bar: float, anisotropic: bool, seed: int,
                 only_axis: int | None = None) -> None:
    """Add a Monte Carlo barostat: anisotropic (each box edge on its own) for crystals, else isotropic;
    with ``only_axis`` (0, 1, 2) only that edge moves (a slab: its crystal keeps its lateral lattice)."""
    if anisotropic or only_axis is not None:
        scale = [only_axis is None or only_axis == k for k in range(3)]
        barostat = openmm.MonteCarloAnisotropicBarostat(
            openmm.Vec3(pressure_bar, pressure_bar, pressure_bar) * unit.bar, temperature_k * unit.kelvin,
            *scale, BAROSTAT_INTERVAL,
        )
    else:
        barostat = openmm.MonteCarloBarostat(pressure_bar * unit.bar, temperature_k * unit.kelvin, BAROSTAT_INTERVAL)
    barostat.setRandomNumberSeed(seed)
    system.addForce(barostat)


def barostats(system: openmm.System) -> list[openmm.Force]:
    """The Monte Carlo barostats of ``system`` (any force class with ``getFrequency`` whose name
    contains ``Barostat``: isotropic, anisotropic, membrane, flexible)."""
    return [force for force in system.getForces()
            if "Barostat" in type(force).__name__ and hasattr(force, "getFrequency")]


def set_barostat_interval(system: openmm.System, steps: int) -> int:
    """Make every barostat of ``system`` move every ``steps`` steps; returns how many there are."""
    found = barostats(system)
    for barostat in found:
        barostat.setFrequency(steps)
    return len(found)


def langevin_integrator(temperature_k: float, seed: int) -> openmm.LangevinMiddleIntegrator:
    """The MD integrator of latentcv: LangevinMiddle at ``temperature_k`` (K), 2 fs, friction 1/ps,
    seeded with ``seed``."""
    integrator = openmm.LangevinMiddleIntegrator(
        temperature_k * unit.kelvin, FRICTION_PER_PS / unit.picosecond, TIMESTEP_PS * unit.picosecond
    )
    integrator.setRandomNumberSeed(seed)
    return integrator


def make_simulation(
    topology: app.Topology,
    system: openmm.System,
    temperature_k: float,
    seed: int,
    platform: str = "auto",
    integrator: openmm.Integrator | None = None,
    threads: int = 0,
) -> app.Simulation:
    """A Simulation on the chosen platform with ``integrator``, by default
    :func:`langevin_integrator` (2 fs, friction 1/ps, seeded with ``seed``); an integrator with a
    ``bind`` method is given the Simulation's Context. ``threads`` > 0 sets the CPU platform's
    force threads (:func:`latentcv.engines.openmm.platforms.pick_platform`)."""
    if integrator is None:
        integrator = langevin_integrator(temperature_k, seed)
    chosen, properties = pick_platform(platform, threads)
    simulation = app.Simulation(topology, system, integrator, chosen, properties)
    bind = getattr(integrator, "bind", None)  # integrators that need their Context (ImpulseMTSIntegrator)
    if bind is not None:
        bind(simulation.context)
    return simulation


def total_mass(system: openmm.System) -> float:
    """Sum of particle masses (g/mol)."""
    return sum(system.getParticleMass(i).value_in_unit(unit.dalton) for i in range(system.getNumParticles()))


def degrees_of_freedom(system: openmm.System) -> int:
    """Kinetic degrees of freedom: 3 per massive particle, minus constraints and centre-of-mass motion."""
    massive = sum(1 for i in range(system.getNumParticles())
                  if system.getParticleMass(i).value_in_unit(unit.dalton) > 0)
    removes_com = any(isinstance(f, openmm.CMMotionRemover) for f in system.getForces())
    return 3 * massive - system.getNumConstraints() - (3 if removes_com else 0)


def density_g_cm3(mass_g_mol: float, box_vectors_nm: np.ndarray) -> float:
    """Density (g/cm3) of ``mass_g_mol`` in the box with rows ``box_vectors_nm`` (shape (3, 3), nm)."""
    return mass_g_mol / abs(float(np.linalg.det(box_vectors_nm))) * _G_CM3_PER_DALTON_NM3


def ns_per_day(ps: float, seconds: float) -> float:
    """Throughput, ns/day, of ``ps`` picoseconds of MD done in ``seconds`` wall-clock seconds."""
    return ps / seconds * 86.4


def minimise(simulation: app.Simulation, positions: np.ndarray) -> None:
    """Set positions (shape (n_atoms, 3), nm), place virtual sites, minimise the energy."""
    simulation.context.setPositions(positions)
    simulation.context.computeVirtualSites()
    simulation.minimizeEnergy(tolerance=10 * unit.kilojoule_per_mole / unit.nanometer, maxIterations=1000)
