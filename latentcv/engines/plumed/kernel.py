"""Find a libtorch-enabled PLUMED installation and run ``plumed driver`` with it.

The kernel is looked up in this order:

1. ``LATENTCV_PLUMED``: the prefix of a PLUMED installation (the folder holding ``bin/plumed`` and
   ``lib/libplumedKernel.so``).
2. ``PLUMED_KERNEL``: the path of ``libplumedKernel.so`` (PLUMED's own variable, also read by the
   ``plumed`` Python wrapper).
3. The cache that ``make plumed`` fills:
   ``${XDG_CACHE_HOME:-$HOME/.cache}/latentcv/plumed-<plumed version>-torch<torch version>-<modules>``,
   where ``<modules>`` is a short hash of :data:`MODULES`, so that a build with other modules is not taken.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import torch

from latentcv.errors import EngineError
from latentcv.paths import cache_root

#: Name of the file written into a cached installation once its build and check finished.
COMPLETE_MARKER = ".latentcv-complete"
#: PLUMED modules built on top of the default ones: the libtorch interface, and what a crystallization
#: study expects (OPES_METAD; Q6 and the other Steinhardt parameters; ENVIRONMENTSIMILARITY; the
#: contact matrices and clusters that nucleus sizes are counted with; spatial volumes; pair
#: distribution CVs).
MODULES = ("pytorch", "opes", "symfunc", "envsim", "adjmat", "clusters", "volumes", "crystdistrib")


def modules_tag() -> str:
    """Eight hex digits naming the module set :data:`MODULES` in cache folder names."""
    return hashlib.sha256(":".join(MODULES).encode()).hexdigest()[:8]


def torch_base_version() -> str:
    """The torch version without its local build tag, e.g. ``2.9.1`` for ``2.9.1+cu128``."""
    return torch.__version__.split("+")[0]


def torch_lib_dir() -> Path:
    """Folder holding ``libtorch.so`` of the torch installed in this interpreter."""
    return Path(torch.__file__).parent / "lib"


@dataclass(frozen=True)
class PlumedInstall:
    """A PLUMED installation.

    Attributes
    ----------
    kernel : Path
        ``libplumedKernel.so``.
    executable : Path or None
        The ``plumed`` command, when one was found next to the kernel or on ``PATH``.
    source : str
        How it was found (``LATENTCV_PLUMED``, ``PLUMED_KERNEL`` or ``cache``).
    """

    kernel: Path
    executable: Path | None
    source: str

    def environment(self) -> dict[str, str]:
        """Environment for a process that runs this PLUMED (kernel, libraries, torch)."""
        env = dict(os.environ)
        env["PLUMED_KERNEL"] = str(self.kernel)
        libs = [str(self.kernel.parent), str(torch_lib_dir())]
        if env.get("LD_LIBRARY_PATH"):
            libs.append(env["LD_LIBRARY_PATH"])
        env["LD_LIBRARY_PATH"] = os.pathsep.join(libs)
        return env

    def run(self, args: list[str], cwd: str | os.PathLike[str], timeout: float = 600.0) -> str:
        """Run ``plumed ARGS`` in ``cwd`` and return its standard output.

        Raises
        ------
        EngineError
            When there is no ``plumed`` executable or the command fails; the message carries the
            last lines PLUMED printed.
        """
        if self.executable is None:
            raise EngineError(f"no 'plumed' executable next to {self.kernel}; add it to PATH")
        proc = subprocess.run(
            [str(self.executable), *args],
            cwd=cwd,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-6:])
            raise EngineError(f"plumed {' '.join(args[:1])} failed (exit {proc.returncode}): {tail}")
        return proc.stdout


def _from_prefix(prefix: Path, source: str) -> PlumedInstall | None:
    kernel = prefix / "lib" / "libplumedKernel.so"
    if not kernel.is_file():
        return None
    exe = prefix / "bin" / "plumed"
    return PlumedInstall(kernel=kernel, executable=exe if exe.is_file() else None, source=source)


def cached_installs() -> list[Path]:
    """Completed PLUMED builds in the cache for the torch of this interpreter, newest first."""
    pattern = str(cache_root() / f"plumed-*-torch{torch_base_version()}-{modules_tag()}")
    found = [Path(p) for p in glob.glob(pattern) if (Path(p) / COMPLETE_MARKER).is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def find_plumed() -> PlumedInstall:
    """Locate the PLUMED installation to use (see the module docstring for the order).

    Raises
    ------
    EngineError
        When none is found, saying how to get one.
    """
    prefix = os.environ.get("LATENTCV_PLUMED")
    if prefix:
        found = _from_prefix(Path(prefix), "LATENTCV_PLUMED")
        if found is None:
            raise EngineError(f"LATENTCV_PLUMED={prefix} holds no lib/libplumedKernel.so")
        return found
    kernel = os.environ.get("PLUMED_KERNEL")
    if kernel:
        path = Path(kernel)
        if not path.is_file():
            raise EngineError(f"PLUMED_KERNEL={kernel} does not exist")
        beside = path.parent.parent / "bin" / "plumed"
        on_path = shutil.which("plumed")
        exe = beside if beside.is_file() else (Path(on_path) if on_path else None)
        return PlumedInstall(kernel=path, executable=exe, source="PLUMED_KERNEL")
    for cached in cached_installs():
        found = _from_prefix(cached, "cache")
        if found is not None:
            return found
    raise EngineError(
        "no libtorch-enabled PLUMED found: run `make plumed`, or set LATENTCV_PLUMED "
        "(install prefix) or PLUMED_KERNEL (path of libplumedKernel.so)"
    )
