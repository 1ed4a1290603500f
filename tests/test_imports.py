"""Every entry point works in a fresh interpreter, whatever the user imported before or after.

openmmtorch and its OpenMM plugin need torch's bundled libnvrtc loaded first (docs/design.md, "Import
order: torch before openmmtorch"); importing latentcv must take care of that in both import orders.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


EVALUATE = """
from latentcv.engines.openmm.forces import evaluate_forces
from latentcv.engines.openmm.torchforce import make_torch_force
from latentcv.engines.probe import probe_configuration, probe_reference
from latentcv.engines.probe import LatticeProbe
p, b = probe_configuration()
e, _ = evaluate_forces([make_torch_force(LatticeProbe())], p, b, platform="{platform}")
assert abs(e - probe_reference(p, b)[0]) < 1e-9, e
"""


@pytest.mark.parametrize(
    "prelude",
    ["import latentcv\nimport openmmtorch", "import openmm\nimport latentcv\nimport openmmtorch"],
    ids=["latentcv-first", "openmm-first"],
)
@pytest.mark.parametrize("platform", ["Reference", "CPU"])
def test_torchforce_works_in_either_import_order(prelude: str, platform: str) -> None:
    proc = _python(prelude + "\n" + EVALUATE.format(platform=platform))
    assert proc.returncode == 0, proc.stderr
    assert "simtk" not in proc.stderr, "the deprecated-simtk warning of openmmtorch should be silenced"


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "latentcv.cli", "--help"],
        ["-m", "latentcv.cli", "doctor", "--help"],
        ["-m", "latentcv.engines.plumed.build", "--help"],
    ],
)
def test_entry_points_print_help(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout


def test_console_script_is_installed() -> None:
    from pathlib import Path

    script = Path(sys.executable).parent / "latentcv"
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.startswith("latentcv "), proc.stderr


PUBLIC = {
    "train": "latentcv.commands.train.train_model",
    "find_basins": "latentcv.commands.cluster.find_basins",
    "export": "latentcv.commands.export.export_run",
    "evaluate": "latentcv.commands.evaluate.evaluate_cv",
    "run_report": "latentcv.commands.report.run_report",
    "run_metad": "latentcv.commands.metad.run_metad",
    "run_pin": "latentcv.commands.pin.run_pin",
    "simulate": "latentcv.commands.simulate.simulate",
    "load_cv": "latentcv.engines.exported.load",
    "torch_force": "latentcv.engines.openmm.cv_force.torch_force",
    "bias_variable": "latentcv.engines.openmm.cv_force.bias_variable",
    "Settings": "latentcv.nn.settings.Settings",
    "MetadConfig": "latentcv.commands.metad_config.MetadConfig",
    "PinConfig": "latentcv.commands.pin.PinConfig",
    "RunConfig": "latentcv.commands.simulate.RunConfig",
    "ReportConfig": "latentcv.commands.report.ReportConfig",
}


def test_the_flat_api_names_the_commands_and_their_settings() -> None:
    import importlib

    import latentcv

    assert set(latentcv.__all__) == {"__version__", *PUBLIC}
    for name, path in PUBLIC.items():
        module, attribute = path.rsplit(".", 1)
        assert getattr(latentcv, name) is getattr(importlib.import_module(module), attribute), name
        assert name in dir(latentcv)
    assert latentcv.cluster is importlib.import_module("latentcv.cluster"), "latentcv.cluster stays the library"
    with pytest.raises(AttributeError):
        latentcv.no_such_name  # noqa: B018


def test_import_latentcv_loads_torch_and_nothing_heavy() -> None:
    proc = _python(
        "import sys, latentcv\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('latentcv'))\n"
        "heavy = [m for m in ('openmm', 'openmmtorch', 'mdtraj', 'sklearn', 'matplotlib', 'torch_geometric') "
        "if m in sys.modules]\n"
        "assert 'torch' in sys.modules\n"
        "assert loaded == ['latentcv'], loaded\n"
        "assert not heavy, heavy\n"
    )
    assert proc.returncode == 0, proc.stderr
