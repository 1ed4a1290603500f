"""Run PLUMED's ``driver`` on a trajectory file and read back what it printed.

Used by ``latentcv doctor`` and by the tests that compare PLUMED with PyTorch: values come from a
``PRINT`` to COLVAR, atomic forces from ``--dump-forces`` with the CV as the bias (``BIASVALUE``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import mdtraj
import numpy as np
import torch

from latentcv.engines.plumed.input import pytorch_model_lines
from latentcv.engines.plumed.kernel import PlumedInstall
from latentcv.quiet import quiet_c_stdout


def write_dcd(path: str | os.PathLike[str], positions: np.ndarray, boxes: np.ndarray) -> mdtraj.Trajectory:
    """Write frames to a DCD file through MDTraj and return them as read back from disk.

    Parameters
    ----------
    positions : ndarray[F, N, 3]
        Coordinates, nm.
    boxes : ndarray[F, 3, 3]
        Box vectors as rows, nm, in reduced form (a along x, b in the xy plane).

    Returns
    -------
    mdtraj.Trajectory
        The file's content: DCD stores single precision, so compare against these coordinates.
    """
    top = mdtraj.Topology()
    chain = top.add_chain()
    for i in range(positions.shape[1]):
        res = top.add_residue("UNK", chain)
        top.add_atom(f"X{i}", mdtraj.element.virtual, res)
    traj = mdtraj.Trajectory(np.asarray(positions, dtype=np.float32), top)
    traj.unitcell_vectors = np.asarray(boxes, dtype=np.float32)
    traj.save_dcd(str(path))
    with quiet_c_stdout():
        return mdtraj.load_dcd(str(path), top=top)


def read_colvar(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Columns of a PLUMED COLVAR file by field name."""
    with open(path) as fh:
        header = fh.readline().split()
    if header[:2] != ["#!", "FIELDS"]:
        raise ValueError(f"{path} is not a PLUMED COLVAR file")
    data = np.atleast_2d(np.loadtxt(path, comments="#"))
    return {name: data[:, k] for k, name in enumerate(header[2:])}


def read_dumped_forces(path: str | os.PathLike[str]) -> np.ndarray:
    """Forces ``[F, N, 3]`` (kJ/mol/nm) from ``plumed driver --dump-forces`` (xyz-like blocks)."""
    frames = []
    with open(path) as fh:
        lines = fh.read().splitlines()
    i = 0
    while i < len(lines):
        n = int(lines[i].split()[0])
        block = lines[i + 2 : i + 2 + n]
        frames.append([[float(v) for v in line.split()[1:4]] for line in block])
        i += 2 + n
    return np.asarray(frames)


def run_driver(
    install: PlumedInstall,
    plumed_dat: str | os.PathLike[str],
    trajectory: str | os.PathLike[str],
    workdir: str | os.PathLike[str],
    dump_forces: str | None = None,
) -> None:
    """``plumed driver --plumed PLUMED_DAT --mf_dcd TRAJECTORY`` in ``workdir``.

    Parameters
    ----------
    dump_forces : str, optional
        File name (in ``workdir``) for ``--dump-forces``.
    """
    args = ["driver", "--plumed", str(plumed_dat), "--mf_dcd", str(trajectory)]
    if dump_forces:
        args += ["--dump-forces", dump_forces, "--dump-forces-fmt", "%.10e"]
    install.run(args, cwd=workdir)


@dataclass
class ModelRun:
    """What ``plumed driver`` computed with a PYTORCH_MODEL, and the frames it read.

    Attributes
    ----------
    values : ndarray[F, n_cv]
        The model's outputs per frame.
    forces : ndarray[F, N, 3]
        Minus the gradient of output 0 with respect to the positions, kJ/mol/nm.
    positions : ndarray[F, N, 3]
        The coordinates as stored in the DCD (single precision), nm.
    boxes : ndarray[F, 3, 3]
        The box vectors as stored in the DCD, nm.
    """

    values: np.ndarray
    forces: np.ndarray
    positions: np.ndarray
    boxes: np.ndarray


def run_pytorch_model(
    install: PlumedInstall,
    model: torch.nn.Module,
    positions: np.ndarray,
    boxes: np.ndarray,
    workdir: str | os.PathLike[str],
) -> ModelRun:
    """Evaluate a ``PYTORCH_MODEL`` on frames with ``plumed driver``.

    The model reads every atom of the frames (see :class:`latentcv.engines.plumed.adapter.PlumedCV`). Its
    first output is applied as a bias, so the dumped forces are minus its gradient.

    Parameters
    ----------
    model : torch.nn.Module
        ``forward(x[1, 3 N + 9]) -> [1, n_cv]``, scripted here.
    positions : ndarray[F, N, 3]
        nm.
    boxes : ndarray[F, 3, 3]
        nm.

    Returns
    -------
    ModelRun
        Values, forces, and the frames as PLUMED read them.
    """
    work = Path(workdir)
    torch.jit.script(model).save(str(work / "model.ptc"))
    stored = write_dcd(work / "traj.dcd", positions, boxes)
    lines = pytorch_model_lines(range(positions.shape[1]), "model.ptc", label="cv")
    lines += [
        "# the first output as the bias, so --dump-forces gives minus its gradient",
        "bias: BIASVALUE ARG=cv.node-0",
        "PRINT ARG=cv.* FILE=COLVAR FMT=%.10e",
    ]
    (work / "plumed.dat").write_text("\n".join(lines) + "\n")
    run_driver(install, "plumed.dat", "traj.dcd", work, dump_forces="forces.xyz")
    colvar = read_colvar(work / "COLVAR")
    names = sorted((k for k in colvar if k.startswith("cv.node-")), key=lambda k: int(k.split("-")[-1]))
    values = np.stack([colvar[k] for k in names], axis=1)
    forces = read_dumped_forces(work / "forces.xyz")
    return ModelRun(values, forces, stored.xyz.astype(np.float64), stored.unitcell_vectors.astype(np.float64))
