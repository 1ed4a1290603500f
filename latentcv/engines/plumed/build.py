"""Build a PLUMED kernel with libtorch (the ``pytorch`` module) against this interpreter's torch.

Run as ``python -m latentcv.engines.plumed.build`` (``make plumed`` does). The PLUMED source is the
``external/plumed2`` tree shipped in the PyPI sdist of ``hillclimber==0.1.8`` (PLUMED 2.11-dev,
LGPL); no PLUMED source is kept in this repository. The recipe is the one recorded in docs/design.md
("The PLUMED build"), with the modules of :data:`latentcv.engines.plumed.kernel.MODULES` enabled on top
of PLUMED's default ones. The sdist and the installation are cached under
``${XDG_CACHE_HOME:-$HOME/.cache}/latentcv`` and reused, so the download and the compile (minutes
each; the progress messages say how long to expect) happen once per machine.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import torch

from latentcv.engines.plumed.kernel import (
    COMPLETE_MARKER, MODULES, cached_installs, modules_tag, torch_base_version, torch_lib_dir,
)
from latentcv.errors import EngineError
from latentcv.paths import cache_root

log = logging.getLogger("latentcv.engines.plumed.build")  # by name: also when run as __main__

SDIST_PACKAGE = "hillclimber"
SDIST_VERSION = "0.1.8"


def sdist_path() -> Path:
    """Download (once) the hillclimber sdist that carries the PLUMED source and return its path."""
    folder = cache_root() / "sdist"
    folder.mkdir(parents=True, exist_ok=True)
    pattern = str(folder / f"{SDIST_PACKAGE}-{SDIST_VERSION}.tar.gz")
    if not glob.glob(pattern):
        log.info("downloading the %s==%s sdist (PLUMED source, ~6 min)", SDIST_PACKAGE, SDIST_VERSION)
        # --no-binary for this one package only: ':all:' would also build cmake from source.
        _run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", SDIST_PACKAGE,
             f"{SDIST_PACKAGE}=={SDIST_VERSION}", "-d", str(folder)],
            cwd=folder, log=folder / "download.log",
        )
    found = glob.glob(pattern)
    if not found:
        raise EngineError(f"pip did not leave {pattern}; see {folder / 'download.log'}")
    return Path(found[0])


def _run(cmd: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> None:
    with open(log, "a") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        raise EngineError(f"{cmd[0]} failed in {cwd}; last lines of {log}:\n" + "\n".join(tail))


def _extract_plumed(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if "/external/plumed2/" in m.name + "/"]
        tar.extractall(into, members=members, filter="tar")
    roots = glob.glob(str(into / "*" / "external" / "plumed2"))
    if not roots:
        raise EngineError(f"{sdist} has no external/plumed2 tree")
    return Path(roots[0])


def _plumed_version(src: Path) -> str:
    """The version in PLUMED's VERSION.txt (its last non-comment line, e.g. ``2.11.0-dev``)."""
    lines = [ln.strip() for ln in (src / "VERSION.txt").read_text().splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")][-1]


def build(jobs: int | None = None) -> Path:
    """Build and install PLUMED with libtorch unless a completed build is cached.

    Parameters
    ----------
    jobs : int, optional
        Parallel compile jobs; the number of CPU cores by default.

    Returns
    -------
    Path
        The installation prefix (``bin/plumed``, ``lib/libplumedKernel.so``).
    """
    cached = cached_installs()
    if cached:
        log.info("PLUMED with libtorch is cached: %s", cached[0])
        return cached[0]
    sdist = sdist_path()
    root = cache_root()
    with tempfile.TemporaryDirectory(prefix="plumed-build-", dir=root) as tmp:
        src = _extract_plumed(sdist, Path(tmp))
        version = _plumed_version(src)
        name = f"plumed-{version}-torch{torch_base_version()}-{modules_tag()}"
        prefix = root / name
        if prefix.exists():
            shutil.rmtree(prefix)  # an earlier build stopped before it was marked complete
        build_log = root / f"{name}.build.log"
        build_log.unlink(missing_ok=True)
        inc = Path(torch.__file__).parent / "include"
        lib = torch_lib_dir()
        env = dict(os.environ)
        env.update(
            CPPFLAGS=f"-I{inc} -I{inc / 'torch/csrc/api/include'}",
            LDFLAGS=f"-L{lib} -Wl,-rpath,{lib}",
            LIBS="-ltorch -lc10 -ltorch_cpu",
        )
        log.info("configuring PLUMED %s with libtorch %s (log: %s)", version, torch.__version__, build_log)
        _run(
            ["./configure", f"--prefix={prefix}", "--enable-libtorch", f"--enable-modules={':'.join(MODULES)}",
             "--disable-external-blas", "--disable-external-lapack", "--disable-doc",
             "CXXFLAGS=-O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1"],
            cwd=src, log=build_log, env=env,
        )
        log.info("compiling PLUMED with %d jobs (~7 min on 2 cores)", jobs or os.cpu_count())
        _run(["make", f"-j{jobs or os.cpu_count()}"], cwd=src, log=build_log, env=env)
        _run(["make", "install"], cwd=src, log=build_log, env=env)
    env = {**os.environ, "LD_LIBRARY_PATH": f"{prefix / 'lib'}:{lib}"}
    for query in [["has", "libtorch"]] + [["module", module] for module in MODULES]:
        config = subprocess.run([str(prefix / "bin" / "plumed"), "config", *query], env=env, capture_output=True)
        if config.returncode != 0:
            raise EngineError(f"the PLUMED built in {prefix} does not report {' '.join(query[1:])}; see {build_log}")
    (prefix / COMPLETE_MARKER).write_text(
        f"torch {torch.__version__}\nsdist {sdist.name}\nmodules {' '.join(MODULES)}\n"
    )
    log.info("PLUMED with libtorch installed in %s", prefix)
    return prefix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m latentcv.engines.plumed.build",
        description="Build a libtorch-enabled PLUMED into the latentcv cache (reused when present).",
    )
    parser.add_argument("-j", "--jobs", type=int, default=None, help="parallel compile jobs")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stdout)  # the build's progress messages, as they come
    logger = logging.getLogger("latentcv")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        build(args.jobs)
    except EngineError as err:
        print(f"latentcv: {err}", file=sys.stderr)
        return 1
    finally:
        logger.removeHandler(handler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
