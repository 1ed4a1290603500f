"""``latentcv melting-point``: the melting point from interface pinning at several temperatures.

One crystal–melt slab (a ``latentcv simulate`` or ``latentcv build`` run folder: system.xml,
topology.pdb, state.xml) is pinned at each temperature (:func:`latentcv.commands.pin.run_pin`, all
from the same start and with the same spring), side by side in processes that share the cores.
Δμ(T) of the runs is fitted with a weighted straight line whose zero is Tm
(:func:`latentcv.engines.pinning.fit_melting_point`).

The output folder holds one pinning folder per temperature (``T<K>/``, resumable as with
``latentcv pin``), ``melting_point.json`` (Tm and its error, the fit, every run's pin.json, the
wall time) and ``melting_point.png`` (:func:`latentcv.engines.pinning_plots.plot_melting_point`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from latentcv.atomic import write_text_atomic
from latentcv.commands.pin import PinConfig, PinFiles, run_pin
from latentcv.engines.openmm.platforms import pick_platform
from latentcv.engines.pinning import BLOCKS, MeltingPoint, fit_melting_point
from latentcv.engines.pinning_plots import plot_melting_point
from latentcv.errors import InputError

#: Default spring constant, kJ/mol per molecule squared: Δμ of ±0.4 kJ/mol (TIP4P/Ice 20 K from
#: Tm) moves the spring's minimum by 4 molecules, and thermal fluctuations of Q under the spring
#: alone are √(kT/κ) ≈ 5 molecules, small against the slab's hundreds.
KAPPA = 0.1
#: The files of a slab run folder that a pinning run starts from.
SLAB_FILES = ("system.xml", "topology.pdb", "state.xml")
#: Seconds between the progress bar's looks at the runs' colvar.csv files.
POLL_S = 5.0


@dataclass(frozen=True)
class MeltingPointConfig:
    """A melting-point estimate from pinning runs.

    Attributes
    ----------
    cv : str
        Exported CV folder with ``component``.
    slab : str
        Slab run folder with system.xml, topology.pdb and state.xml.
    out : str
        Output folder.
    temperatures : tuple of float
        K, at least two.
    ps : float
        Length of each pinning run, ps.
    kappa : float
        Spring constant, kJ/mol per CV unit squared.
    target : float, optional
        Spring centre, CV units; None: Q of the slab's state (the same start at every temperature).
    component : str
        The CV component Q that counts crystal molecules.
    equilibrate_ps : float, optional
        ps at the start of each run left out of Δμ; None: a fifth of ``ps``.
    blocks : int
        Blocks of each run's block-averaged standard error.
    jobs : int
        Runs side by side; 0: as many as the temperatures, at most one per core (one on GPU platforms).
    platform : str
        OpenMM platform or ``auto``.
    report_interval, checkpoint_interval : int
        2 fs steps between rows and between checkpoints of each run.
    seed : int
        Seed of every run's velocities and integrator.
    """

    cv: str
    slab: str
    out: str
    temperatures: tuple[float, ...]
    ps: float
    kappa: float = KAPPA
    target: float | None = None
    component: str = "crystal_count"
    equilibrate_ps: float | None = None
    blocks: int = BLOCKS
    jobs: int = 0
    platform: str = "auto"
    report_interval: int = 50
    checkpoint_interval: int = 5000
    seed: int = 1

    def validate(self) -> None:
        """Raise :class:`InputError` for settings that cannot run (each run checks its own too)."""
        if len(set(self.temperatures)) < 2:
            raise InputError(f"a melting point needs two temperatures or more, got {list(self.temperatures)}")
        if self.jobs < 0:
            raise InputError(f"jobs must be 0 (automatic) or more, got {self.jobs}")
        for name in SLAB_FILES:
            if not (Path(self.slab) / name).is_file():
                raise InputError(f"{self.slab} is not a slab run folder: {name} is missing (latentcv build writes "
                                 "system.xml, topology.pdb and state.xml)")

    def run_folder(self, temperature: float) -> Path:
        """The pinning folder of ``temperature`` (K)."""
        return Path(self.out) / f"T{temperature:g}K"

    def pin_config(self, temperature: float, threads: int) -> PinConfig:
        """The pinning run at ``temperature`` (K) with ``threads`` CPU force threads."""
        slab = Path(self.slab)
        equilibrate = self.ps / 5 if self.equilibrate_ps is None else self.equilibrate_ps
        return PinConfig(
            system_xml=str(slab / "system.xml"), pdb=str(slab / "topology.pdb"), cv=self.cv,
            out=str(self.run_folder(temperature)), temperature=temperature, ps=self.ps, kappa=self.kappa,
            target=self.target, component=self.component, state=str(slab / "state.xml"), platform=self.platform,
            equilibrate_ps=equilibrate, blocks=self.blocks, report_interval=self.report_interval,
            checkpoint_interval=self.checkpoint_interval, seed=self.seed, threads=threads,
        )


def share_cores(config: MeltingPointConfig) -> tuple[int, int]:
    """(runs side by side, CPU force threads per run) for ``config`` on this machine."""
    platform = pick_platform(config.platform)[0].getName()
    cores = os.cpu_count() or 1
    jobs = config.jobs or (min(len(config.temperatures), cores) if platform == "CPU" else 1)
    return jobs, (max(1, cores // jobs) if platform == "CPU" else 0)


def _pin_quietly(config: PinConfig, resume: bool) -> str:
    """One pinning run in a worker process; returns its pin.json path."""
    return str(run_pin(config, resume=resume, progress=False).result)


def _rows(colvar: Path) -> int:
    """Rows written to a run's colvar.csv so far."""
    try:
        with open(colvar, "rb") as handle:
            return max(0, sum(1 for _ in handle) - 2)  # header and the row at t = 0
    except OSError:
        return 0


def _run_all(configs: list[PinConfig], resume: bool, jobs: int, progress: bool) -> None:
    """Run (or resume) every pinning run, ``jobs`` at a time, with one progress bar over all."""
    resumes = [resume and PinFiles(Path(c.out)).checkpoint.exists() for c in configs]
    if jobs == 1:
        for config, again in zip(configs, resumes):
            run_pin(config, resume=again, progress=progress)
        return
    total = sum(c.n_reports for c in configs)
    report_ps = configs[0].ps / configs[0].n_reports
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool, \
            tqdm(total=total, unit_scale=report_ps, unit="ps", disable=not progress,
                 desc=f"pinning at {len(configs)} temperatures, {jobs} at a time",
                 bar_format="{l_bar}{bar}| {n:.4g}/{total:.4g} ps [{elapsed}<{remaining}]") as bar:
        futures: list[Future[str]] = [pool.submit(_pin_quietly, c, again) for c, again in zip(configs, resumes)]
        while not all(f.done() for f in futures):
            time.sleep(POLL_S)
            bar.update(sum(min(_rows(PinFiles(Path(c.out)).colvar), c.n_reports) for c in configs) - bar.n)
        for future in futures:
            future.result()  # a run's error, raised here
        bar.update(total - bar.n)


def run_melting_point(config: MeltingPointConfig, resume: bool = False, progress: bool = True) -> Path:
    """Pin the slab at every temperature, fit Δμ(T) and write melting_point.json and .png.

    Parameters
    ----------
    config : MeltingPointConfig
        Settings.
    resume : bool
        Continue each temperature's run from its checkpoint (runs without one start afresh).
    progress : bool
        Show a progress bar (ps over all runs, ETA) on stderr.

    Returns
    -------
    Path
        melting_point.json. Its ``melting_point`` is None (with the reason in ``no_melting_point``)
        when Δμ does not rise with T over these runs; ``extrapolated`` is true when Tm lies outside
        the temperatures run.

    Raises
    ------
    InputError
        Missing files or settings that cannot run.
    EngineError
        A platform that is not available.
    """
    config.validate()
    started = time.perf_counter()
    jobs, threads = share_cores(config)
    configs = [config.pin_config(t, threads) for t in config.temperatures]
    for c in configs:
        c.validate()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "config.json", json.dumps(asdict(config), indent=2) + "\n")
    _run_all(configs, resume, jobs, progress)
    runs = [json.loads(PinFiles(Path(c.out)).result.read_text()) for c in configs]
    t = np.array([r["temperature_K"] for r in runs])
    mu = np.array([r["delta_mu_kJ_mol"] for r in runs])
    sigma = np.array([r["standard_error_kJ_mol"] for r in runs])
    fit: MeltingPoint | None
    try:
        fit, reason = fit_melting_point(t, mu, sigma), None
    except InputError as err:
        fit, reason = None, str(err)
    result = {
        "melting_point": None if fit is None else asdict(fit), "no_melting_point": reason,
        "extrapolated": fit is not None and not t.min() <= fit.tm <= t.max(),
        "cv": config.cv, "component": config.component, "slab": config.slab, "kappa": config.kappa,
        "ps_per_run": config.ps, "molecules": runs[0]["molecules"], "jobs": jobs, "threads_per_run": threads,
        "wall_s": time.perf_counter() - started,
        "runs": [{"folder": c.out, **r} for c, r in zip(configs, runs)],
    }
    path = out / "melting_point.json"
    write_text_atomic(path, json.dumps(result, indent=2) + "\n")
    plot_melting_point(t, mu, sigma, fit, out / "melting_point.png", f"{Path(config.cv).name}: {config.component}")
    return path
