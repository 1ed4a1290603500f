"""`latentcv doctor` runs every engine for real and reports success only when all work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _doctor(env_update: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, **(env_update or {})}
    exe = Path(sys.executable).parent / "latentcv"
    return subprocess.run([str(exe), "doctor"], capture_output=True, text=True, timeout=600, env=env)


def test_doctor_passes_with_the_pinned_stack() -> None:
    proc = _doctor()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for name in ("OpenMM Reference TorchForce (direct)", "OpenMM CPU TorchForce (in CustomCVForce)",
                 "PLUMED kernel", "PLUMED PYTORCH_MODEL"):
        assert any(line.startswith("ok") and name in line for line in lines), proc.stdout


def test_doctor_fails_in_one_line_without_plumed(tmp_path) -> None:
    proc = _doctor({"LATENTCV_PLUMED": str(tmp_path)})
    assert proc.returncode != 0
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("latentcv doctor: PLUMED kernel failed:"), proc.stderr
