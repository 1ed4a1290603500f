"""Every entry point works in a fresh interpreter, whatever the user imported before or after.

openmmtorch and its OpenMM plugin need torch's bundled libnvrtc loaded first (DESIGN.md); importing
latentcv must take care of that in both import orders.
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
