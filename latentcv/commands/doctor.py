"""``latentcv doctor``: check by running them that the engines work together.

Each check really runs its engine on :class:`latentcv.engines.probe.LatticeProbe`: an openmm-torch
TorchForce on every OpenMM platform (forces against PyTorch autograd, directly and inside a
``CustomCVForce``), and PLUMED's ``PYTORCH_MODEL`` through ``plumed driver``.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from latentcv.engines.probe import LatticeProbe, probe_configuration, probe_reference
from latentcv.errors import LatentCVError

#: Relative tolerance of engine forces against autograd (float32 platforms included).
FORCE_RTOL = 1e-4


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    required: bool = True
    fix: str = ""


def _versions() -> Check:
    parts = []
    # openmmtorch through latentcv.engines.openmm.torchforce, which imports torch first
    modules = {"torch": "torch", "openmm": "openmm", "openmmtorch": "latentcv.engines.openmm.torchforce",
               "mdtraj": "mdtraj", "torch-geometric": "torch_geometric"}
    for dist, module in modules.items():
        try:
            importlib.import_module(module)
        except Exception as err:  # report any import failure, it is the finding
            return Check("versions", False, f"import {module} failed: {err}",
                         fix="reinstall with `make venv` (pins in pyproject.toml)")
        parts.append(f"{dist} {metadata.version(dist)}")
    return Check("versions", True, ", ".join(parts))


def _openmm_check(platform: str, inside_cv_force: bool) -> Check:
    import openmm

    from latentcv.engines.openmm.forces import evaluate_forces
    from latentcv.engines.openmm.torchforce import make_torch_force

    where = "in CustomCVForce" if inside_cv_force else "direct"
    name = f"OpenMM {platform} TorchForce ({where})"
    required = platform in ("Reference", "CPU")
    try:
        positions, box = probe_configuration()
        force = make_torch_force(LatticeProbe(), periodic=True)
        if inside_cv_force:
            cv_force = openmm.CustomCVForce("2*s")
            cv_force.addCollectiveVariable("s", force)
            force, scale = cv_force, 2.0
        else:
            scale = 1.0
        energy, forces = evaluate_forces([force], positions, box, platform=platform)
        ref_e, ref_f = probe_reference(positions, box)
        err = np.abs(forces - scale * ref_f).max() / np.abs(scale * ref_f).max()
        ok = abs(energy - scale * ref_e) <= FORCE_RTOL * max(1.0, abs(scale * ref_e)) and err <= FORCE_RTOL
        detail = f"energy {energy:.6f} vs autograd {scale * ref_e:.6f} kJ/mol, max force rel. error {err:.1e}"
        return Check(name, ok, detail, required, fix="" if ok else "check the torch/openmm/openmmtorch pins")
    except Exception as err:  # an engine failure is what the doctor reports
        return Check(name, False, f"{type(err).__name__}: {err}", required,
                     fix="reinstall the pinned trio (torch 2.9.1, openmm 8.5.2, openmmtorch 1.5)")


def _plumed_check() -> list[Check]:
    from latentcv.engines.plumed.adapter import PlumedCV
    from latentcv.engines.plumed.driver import run_pytorch_model
    from latentcv.engines.plumed.kernel import find_plumed

    fix = "run `make plumed`, or set LATENTCV_PLUMED / PLUMED_KERNEL to a libtorch-enabled PLUMED"
    try:
        install = find_plumed()
    except LatentCVError as err:
        return [Check("PLUMED kernel", False, str(err), fix=fix)]
    checks = [Check("PLUMED kernel", True, f"{install.kernel} (from {install.source})")]
    try:
        positions, box = probe_configuration()
        with tempfile.TemporaryDirectory(prefix="latentcv-doctor-") as tmp:
            run = run_pytorch_model(install, PlumedCV(LatticeProbe()), positions[None], box[None], tmp)
        ref_e, ref_f = probe_reference(run.positions[0], run.boxes[0])
        value = run.values[0, 0]
        err_f = np.abs(run.forces[0] - ref_f).max() / np.abs(ref_f).max()
        ok = abs(value - ref_e) <= 1e-4 * max(1.0, abs(ref_e)) and err_f <= 1e-3
        checks.append(Check(
            "PLUMED PYTORCH_MODEL", ok,
            f"value {value:.6f} vs autograd {ref_e:.6f}, max force rel. error {err_f:.1e} (float32)",
            fix="" if ok else fix,
        ))
    except Exception as err:  # the engine's failure is the finding
        checks.append(Check("PLUMED PYTORCH_MODEL", False, f"{type(err).__name__}: {err}", fix=fix))
    return checks


def collect(platforms: list[str] | None = None) -> list[Check]:
    """Run every check and return the report lines."""
    checks = [_versions()]
    if not checks[0].ok:
        return checks
    from latentcv.engines.openmm.platforms import platform_names

    names = platforms or platform_names()
    for required in ("Reference", "CPU"):
        if platforms is None and required not in names:
            checks.append(Check(f"OpenMM {required}", False, "platform not present",
                                fix="reinstall openmm==8.5.2"))
    for platform in names:
        for inside in (False, True):
            checks.append(_openmm_check(platform, inside))
    checks.extend(_plumed_check())
    return checks


def run_doctor(platforms: list[str] | None = None) -> int:
    """Print the report; 0 when every required check passed, 1 otherwise."""
    checks = collect(platforms)
    width = max(len(c.name) for c in checks)
    for c in checks:
        status = "ok  " if c.ok else ("FAIL" if c.required else "warn")
        print(f"{status}  {c.name:<{width}}  {c.detail}")
    failed = [c for c in checks if c.required and not c.ok]
    for c in failed:
        print(f"latentcv doctor: {c.name} failed: {c.fix or c.detail}", file=sys.stderr)
    return 1 if failed else 0
