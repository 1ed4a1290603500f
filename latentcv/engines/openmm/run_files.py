"""Files of a biased OpenMM run (``latentcv metad``, ``latentcv pin``), appended as it runs and cut
back to a checkpoint on resume.

``colvar.csv``
    time_ps, one column per biased CV component, bias_kJ_mol.
``log.csv``
    time_ps, temperature_K, potential_energy_kJ_mol (without the bias), density_g_cm3, ns_per_day.
``trajectory.dcd``
    One frame per report (virtual sites included, molecules not wrapped).
``config.json``, ``state.xml``, ``checkpoint.pt``, ``cv_time.png``
    The run's settings, its last State, its checkpoint and the colvar against time.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Protocol

from openmm import app, unit

from latentcv.engines.openmm.dcd import truncate_dcd
from latentcv.engines.openmm.simulation import degrees_of_freedom, density_g_cm3, total_mass

LOG_COLUMNS = ("time_ps", "temperature_K", "potential_energy_kJ_mol", "density_g_cm3", "ns_per_day")
_MOLAR_GAS_CONSTANT = unit.MOLAR_GAS_CONSTANT_R.value_in_unit(unit.kilojoule_per_mole / unit.kelvin)


class Bias(Protocol):
    """What :class:`RunRecorder` needs of a bias: its force group and the values of its CVs
    (``openmm.app.Metadynamics`` has both)."""

    @property
    def bias_group(self) -> int: ...

    def getCollectiveVariables(self, simulation: app.Simulation) -> tuple[float, ...]: ...  # noqa: N802 (OpenMM's name)


class RunFiles:
    """Paths of the files every biased run folder has (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.config = folder / "config.json"
        self.checkpoint = folder / "checkpoint.pt"
        self.state = folder / "state.xml"
        self.colvar = folder / "colvar.csv"
        self.log = folder / "log.csv"
        self.trajectory = folder / "trajectory.dcd"
        self.cv_time_png = folder / "cv_time.png"

    @property
    def appended(self) -> tuple[Path, ...]:
        """The files a resumed run appends to (with the config and checkpoint it needs)."""
        return self.config, self.checkpoint, self.colvar, self.log, self.trajectory


def _keep_rows(path: Path, n_rows: int) -> None:
    """Keep the header and the first ``n_rows`` rows of a CSV file."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows[: n_rows + 1])


class RunRecorder:
    """Appends one row to colvar.csv and log.csv and one frame to trajectory.dcd per report.

    Parameters
    ----------
    files : RunFiles
    simulation : app.Simulation
    bias : Bias
        The run's bias (its CV values and energy go to colvar.csv).
    names : list of str
        Names of the biased CV components (colvar.csv's columns).
    report_steps : int
        Integrator steps between reports.
    frames_done : int, optional
        Frames already saved by the run being resumed: the files are cut back to them and
        appended to; ``None`` starts new files.
    """

    def __init__(
        self,
        files: RunFiles,
        simulation: app.Simulation,
        bias: Bias,
        names: list[str],
        report_steps: int,
        frames_done: int | None = None,
    ) -> None:
        self._simulation = simulation
        self._bias = bias
        self._mass = total_mass(simulation.system)
        self._dof = degrees_of_freedom(simulation.system)
        self._unbiased = set(range(32)) - {bias.bias_group}
        append = frames_done is not None
        if append:
            truncate_dcd(files.trajectory, frames_done)
            _keep_rows(files.colvar, frames_done)
            _keep_rows(files.log, frames_done)
        self._dcd_handle = open(files.trajectory, "r+b" if append else "wb")
        dt = simulation.integrator.getStepSize()
        self._dcd = app.DCDFile(self._dcd_handle, simulation.topology, dt, simulation.currentStep, report_steps, append)
        self._colvar_handle = open(files.colvar, "a" if append else "w", newline="")
        self._log_handle = open(files.log, "a" if append else "w", newline="")
        self._colvar, self._log = csv.writer(self._colvar_handle), csv.writer(self._log_handle)
        if not append:
            self._colvar.writerow(["time_ps", *names, "bias_kJ_mol"])
            self._log.writerow(LOG_COLUMNS)

    def record(self, ns_per_day: float) -> list[float]:
        """Write the current frame and rows; returns the CV values."""
        context = self._simulation.context
        state = context.getState(getPositions=True, getEnergy=True, groups=self._unbiased)
        bias = context.getState(getEnergy=True, groups={self._bias.bias_group}).getPotentialEnergy()
        values = list(self._bias.getCollectiveVariables(self._simulation))
        time_ps = state.getTime().value_in_unit(unit.picosecond)
        box = state.getPeriodicBoxVectors(asNumpy=True).value_in_unit(unit.nanometer)
        kinetic = state.getKineticEnergy().value_in_unit(unit.kilojoule_per_mole)
        self._dcd.writeModel(state.getPositions(), periodicBoxVectors=state.getPeriodicBoxVectors())
        self._colvar.writerow(
            [f"{time_ps:.4f}", *(f"{v:.8g}" for v in values), f"{bias.value_in_unit(unit.kilojoule_per_mole):.6g}"]
        )
        self._log.writerow([
            f"{time_ps:.4f}",
            f"{2 * kinetic / (self._dof * _MOLAR_GAS_CONSTANT):.3f}",
            f"{state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole):.3f}",
            f"{density_g_cm3(self._mass, box):.5f}",
            f"{ns_per_day:.3f}",
        ])
        for handle in (self._dcd_handle, self._colvar_handle, self._log_handle):
            handle.flush()
        return values

    def close(self) -> None:
        """Close the trajectory and the CSV files."""
        for handle in (self._dcd_handle, self._colvar_handle, self._log_handle):
            handle.close()
