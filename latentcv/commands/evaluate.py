"""``latentcv evaluate``: CV values (and forces) per frame through the exported files themselves."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import mdtraj
import numpy as np
import torch

from latentcv.data.reading import iter_frames
from latentcv.engines.exported import ExportedCV, load
from latentcv.errors import InputError
from latentcv.geometry import rotate_to_reduced
from latentcv.readers import reading


def evaluate_cv(
    cv_dir: str | os.PathLike[str],
    trajectory: str | os.PathLike[str],
    topology: str | os.PathLike[str],
    out: str | os.PathLike[str] | None,
    forces: bool = False,
    stride: int = 1,
    on_frame: Callable[[int], object] | None = None,
    engine: str = "openmm",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Evaluate an exported CV on every frame of a trajectory, as an MD engine would.

    With ``engine="openmm"`` each CV component is computed by its ``openmm_cv<k>.pt`` on all
    particles of the frame (the box brought to OpenMM's reduced form), as openmm-torch calls it; with
    ``engine="plumed"`` all components come from ``plumed_cv.ptc`` on the row that PLUMED's
    ``PYTORCH_MODEL`` passes (the CV's atoms, then the box; float32). Values go to ``out`` (CSV:
    frame, then one column per component); with ``forces``, ``-dCV/dx`` of every component goes to
    ``<out stem>_forces.npy``, shape (frames, n_cv, N, 3), in CV units per nm (the force of a bias
    of 1 kJ/mol per CV unit).
    With ``out`` None nothing is written: values and forces are only returned. ``on_frame``, when
    given, is called with 1 after every frame (e.g. a tqdm bar's ``update``).

    Returns
    -------
    values : ndarray[F, n_cv]
    forces : ndarray[F, n_cv, N, 3] or None
    """
    cv = load(cv_dir)
    with reading(topology, "topology"):
        top = mdtraj.load_topology(str(topology))
    cv.check_particles(top.n_atoms)
    components = _components(cv, engine)
    values, grads = [], []
    grad_mode = torch.enable_grad() if forces else torch.no_grad()  # no autograd graph for values only
    with grad_mode:
        for chunk in iter_frames(Path(trajectory), top, stride=stride):
            if chunk.boxes is None:
                raise InputError(f"{trajectory} has no unit cell: the CV needs periodic frames")
            for x, b in zip(chunk.positions, chunk.boxes):
                raw = torch.tensor(x, dtype=torch.float64, requires_grad=forces)
                # rotation to reduced form is linear in the positions: gradients come back in the file's frame
                pos, box = rotate_to_reduced(raw, torch.tensor(b, dtype=torch.float64))
                row, frame_grads = [], []
                for value in components(pos, box):
                    row.append(float(value.detach()))
                    if forces:
                        (g,) = torch.autograd.grad(value, raw, retain_graph=True)
                        frame_grads.append(-g.numpy())
                values.append(row)
                grads.append(frame_grads)
                if on_frame is not None:
                    on_frame(1)
    table = np.array(values).reshape(-1, cv.n_components)
    force_array = np.array(grads) if forces else None
    if out is None:
        return table, force_array
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["frame", *cv.names])
        for k, row in enumerate(table):
            writer.writerow([k * stride, *(f"{v:.8g}" for v in row)])
    if force_array is not None:
        np.save(target.with_name(target.stem + "_forces.npy"), force_array)
    return table, force_array


def _components(cv: ExportedCV, engine: str) -> Callable[[torch.Tensor, torch.Tensor], list[torch.Tensor]]:
    """``f(positions[N, 3], box[3, 3]) -> [value per component]`` through the exported file(s) of ``engine``."""
    if engine == "openmm":
        modules = [cv.openmm_module(k) for k in range(cv.n_components)]
        return lambda positions, box: [module(positions, box) for module in modules]
    if engine == "plumed":
        module, atoms = cv.plumed_module(), torch.tensor(cv.atoms)

        def plumed_row(positions: torch.Tensor, box: torch.Tensor) -> list[torch.Tensor]:
            row = torch.cat([positions.index_select(0, atoms).reshape(-1), box.reshape(-1)]).float()
            return list(module(row.unsqueeze(0)).reshape(-1))

        return plumed_row
    raise InputError(f"unknown engine {engine!r}: openmm or plumed")
