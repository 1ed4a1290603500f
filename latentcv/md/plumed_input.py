"""Lines of a PLUMED input that feed atom positions and the box to a ``PYTORCH_MODEL``.

PYTORCH_MODEL is a function of scalar arguments, not of atoms (DESIGN.md, "Engine contracts"), so
each atom gets one ``POSITION`` action (vector arguments would be applied element by element) and the
box comes from ``CELL``. The argument order is the one :class:`latentcv.md.adapters.PlumedCV` reads.
"""

from __future__ import annotations

from collections.abc import Sequence

CELL_COMPONENTS = ("ax", "ay", "az", "bx", "by", "bz", "cx", "cy", "cz")


def pytorch_model_lines(atoms: Sequence[int], model_file: str, label: str = "cv") -> list[str]:
    """PLUMED input lines defining ``label: PYTORCH_MODEL`` on the given atoms.

    Parameters
    ----------
    atoms : sequence of int
        0-based atom indices in the order the model expects (written 1-based, as PLUMED counts).
    model_file : str
        Path of the TorchScript file as PLUMED should open it.
    label : str
        Label of the model action; its outputs are ``label.node-0``, ``label.node-1``, ...

    Returns
    -------
    list of str
        Commented lines, ready to be joined with newlines.
    """
    lines = [
        "# Positions (nm) of the atoms the CV reads, one POSITION per atom: PLUMED applies",
        "# PYTORCH_MODEL element by element to vector arguments, so each coordinate is a scalar.",
        "# POSITION takes the minimum image from the origin; the CV is periodic, so that is harmless.",
    ]
    names = []
    for k, atom in enumerate(atoms):
        lines.append(f"p{k}: POSITION ATOM={atom + 1}")
        names += [f"p{k}.x", f"p{k}.y", f"p{k}.z"]
    lines += ["# Box vectors (nm), as the model's last nine inputs.", "cell: CELL"]
    names += [f"cell.{c}" for c in CELL_COMPONENTS]
    lines += [
        f"# The CV model: {len(names)} float32 inputs; outputs are {label}.node-0, {label}.node-1, ...",
        f"{label}: PYTORCH_MODEL FILE={model_file} ARG={','.join(names)}",
    ]
    return lines
