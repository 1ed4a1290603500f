"""`make demo`: the latentcv pipeline end to end on small built-in data.

Each stage runs the public command line, as a user would, and prints where its results are. The
pipeline grows stage by stage; today it checks the engine stack.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

LATENTCV = [sys.executable, "-m", "latentcv.cli"]


def stage(title: str, argv: list[str], log: Path) -> None:
    """Run ``latentcv ARGV``, tee its output to ``log`` and stop the demo if it fails."""
    print(f"\n== {title}: latentcv {' '.join(argv)}", flush=True)
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen([*LATENTCV, *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            out.write(line)
    if proc.wait() != 0:
        sys.exit(f"demo: stage '{title}' failed (exit {proc.returncode}); see {log}")
    print(f"-- {title} done in {time.perf_counter() - start:.0f} s; output in {log}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo"), help="folder for everything the demo writes")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stage("engine check", ["doctor"], args.out / "doctor.txt")
    print(f"\ndemo finished; results under {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
