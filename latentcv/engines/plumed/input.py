"""PLUMED inputs for an exported CV: the lines that feed atom positions and the box to a
``PYTORCH_MODEL``, and the commented ``plumed.dat`` of an exported CV folder.

PYTORCH_MODEL is a function of scalar arguments, not of atoms (docs/design.md, "PLUMED:
PYTORCH_MODEL"), so each atom gets one ``POSITION`` action (vector arguments would be applied element
by element) and the box comes from ``CELL``. The argument order is the one
:class:`latentcv.engines.plumed.adapter.PlumedCV` reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from latentcv.cv.heads import ENERGY_COMPONENT
from latentcv.cv.stats import ComponentStats
from latentcv.engines.exported import PLUMED_MODEL
from latentcv.engines.metadynamics import BIAS_FACTOR, HEIGHT_KJ_MOL, OPES_BARRIER_KJ_MOL, PACE_STEPS, grid_range

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


def plumed_input(
    atoms: list[int],
    stats: list[ComponentStats],
    temperature: float,
    label: str = "cv",
    model_file: str = PLUMED_MODEL,
    metad: bool = True,
    stride: int = 100,
    fixed_bonds: bool = False,
    opes: bool = False,
) -> str:
    """A commented plumed.dat: the model on its atoms, PRINT, and well-tempered METAD (or, with
    ``opes``, OPES_METAD) on the first CV component; components that are bias energies
    (``bias_net``) are applied with BIASVALUE.

    Parameters
    ----------
    atoms : list of int
        0-based indices of the atoms the model reads, in its order.
    stats : list of ComponentStats
        One per CV component (all are printed; the first that is not an energy gives METAD its SIGMA
        and grid).
    temperature : float
        K, for METAD's TEMP.
    label : str
        Label of the PYTORCH_MODEL action.
    model_file : str
        Path of the PLUMED model as PLUMED will open it (relative to the directory PLUMED runs in).
    metad : bool
        Include the METAD and BIASVALUE blocks (False: the CV and PRINT only, for analysis with
        ``plumed driver``).
    stride : int
        PRINT stride, steps (frames for ``plumed driver``).
    fixed_bonds : bool
        The model was exported with fixed bonds: say that the MD must constrain them.
    opes : bool
        OPES_METAD (PLUMED's opes module) instead of METAD: kernels every PACE steps with the
        component's suggested width as the initial SIGMA and a BARRIER to edit.
    """
    args = ",".join(f"{label}.node-{k}" for k in range(len(stats)))
    meanings = [f"#   {label}.node-{k}: {s.name} - {s.meaning}" for k, s in enumerate(stats)]
    lines = [
        "# latentcv: a learned latent CV for PLUMED's PYTORCH_MODEL (units: nm, ps, kJ/mol).",
        "# Written by `latentcv export`; atom numbers are 1-based, as PLUMED counts.",
        "# CV components:",
        *meanings,
        *(["# Exported with --constrained-bonds: valid only when the MD engine constrains every bond of the",
           "# molecules (rigid water: SETTLE) at the lengths in metadata.json (fixed_bonds)."] if fixed_bonds else []),
        "",
        *pytorch_model_lines(atoms, model_file, label=label),
        "",
    ]
    printed = args
    energies = [k for k, s in enumerate(stats) if s.name == ENERGY_COMPONENT]
    if metad and energies:
        energy_args = ",".join(f"{label}.node-{k}" for k in energies)
        lines += [
            "# The bias_net component is an energy (kJ/mol) fitted to a PMF estimate: applied as a static bias.",
            f"static: BIASVALUE ARG={energy_args}",
            "",
        ]
        printed += ",static.bias"
    cvs = [k for k in range(len(stats)) if k not in energies]
    if metad and cvs and opes:
        k = cvs[0]
        first = stats[k]
        lines += [
            f"# OPES (Invernizzi & Parrinello 2020) on {label}.node-{k} ({first.name}), as",
            "# `latentcv metad --method opes` does. Set BARRIER (kJ/mol) to the free-energy barrier the run",
            "# should cross; SIGMA is the initial kernel width (half the component's fluctuation inside a basin",
            "# of the training frames).",
            f"opes: OPES_METAD ARG={label}.node-{k} SIGMA={first.suggested_sigma():.6g} PACE={PACE_STEPS} "
            f"BARRIER={OPES_BARRIER_KJ_MOL:g} BIASFACTOR={BIAS_FACTOR:g} TEMP={temperature:g} FILE=KERNELS",
            "",
        ]
        printed += ",opes.bias"
    elif metad and cvs:
        k = cvs[0]
        first = stats[k]
        low, high = grid_range(first)
        lines += [
            f"# Well-tempered metadynamics on {label}.node-{k} ({first.name}), as `latentcv metad` does by default.",
            "# SIGMA is half its fluctuation inside a basin of the training frames; the grid spans the",
            "# training range with half its width as margin. Add components to ARG (with a SIGMA and grid",
            "# bounds each) to bias them too; adjust HEIGHT (kJ/mol), PACE (steps) and BIASFACTOR.",
            f"metad: METAD ARG={label}.node-{k} SIGMA={first.suggested_sigma():.6g} HEIGHT={HEIGHT_KJ_MOL} "
            f"PACE={PACE_STEPS} BIASFACTOR={BIAS_FACTOR:g} TEMP={temperature:g} GRID_MIN={low:.6g} "
            f"GRID_MAX={high:.6g} FILE=HILLS",
            "",
        ]
        printed += ",metad.bias"
    lines.append(f"PRINT ARG={printed} STRIDE={stride} FILE=COLVAR")
    return "\n".join(lines) + "\n"
