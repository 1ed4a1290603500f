"""examples/metad_melt.py as a user runs it: by default it biases the shipped trained model
(models/ice-water-fast), exported for the example's box, not an untrained stand-in."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "metad_melt.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1200)


def test_melt_example_biases_the_shipped_model(tmp_path: Path) -> None:
    out = tmp_path / "melt"
    done = _run("--ns", "0.001", "--platform", "CPU", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "exporting" in done.stdout and "WARNING" not in done.stdout + done.stderr
    metadata = json.loads((out / "cv" / "metadata.json").read_text())
    assert "untrained" not in json.dumps(metadata).lower()
    assert "progress" in json.dumps(metadata)
    with open(out / "metad" / "colvar.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "no CV rows written"
    assert "--untrained" not in done.stdout.split("Continue with:")[-1]


def test_cv_and_untrained_together_is_one_line_error(tmp_path: Path) -> None:
    done = _run("--cv", str(tmp_path), "--untrained", "--out", str(tmp_path / "x"))
    assert done.returncode != 0
    assert "--cv or --untrained" in done.stderr and "Traceback" not in done.stderr
