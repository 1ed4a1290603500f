"""Write an exported CV folder (the deployment contract; file names and signatures are public).

``CV_DIR/openmm_cv<k>.pt``
    TorchScript for openmm-torch, one file per CV component k:
    ``forward(positions[N, 3], boxvectors[3, 3]) -> 0-d tensor``, N every particle of the System.
``CV_DIR/plumed_cv.ptc``
    TorchScript for PLUMED's PYTORCH_MODEL: ``forward(x[1, 3 n + 9]) -> [1, n_cv]``, float32.
``CV_DIR/plumed.dat``
    A working PLUMED input (POSITION per atom, CELL, PYTORCH_MODEL, PRINT, well-tempered METAD).
``CV_DIR/metadata.json``
    Atom indices, particle count, units, cutoffs, CV names and meanings, centres, training summary,
    versions, a hash of the weights, the SHA-256 of every TorchScript file (``file_sha256``, checked
    by :func:`latentcv.cv.load.load`) and, for a CV with fixed bonds (``latentcv export
    --constrained-bonds``), the bonds (particle pairs) the MD must constrain and their lengths.

Both engine files wrap the same scripted :class:`latentcv.cv.latent_cv.LatentCV`: there is no
second implementation of the CV for deployment.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from latentcv import __version__
from latentcv.atomic import atomic_file, write_text_atomic
from latentcv.cv.heads import BiasNet
from latentcv.cv.latent_cv import LatentCV
from latentcv.md.adapters import OpenMMCV, PlumedCV
from latentcv.md.plumed_input import pytorch_model_lines
from latentcv.readers import content_digest, file_digest

METADATA = "metadata.json"
PLUMED_MODEL = "plumed_cv.ptc"
PLUMED_INPUT = "plumed.dat"
#: Name of the components that are bias energies (kJ/mol), not CVs: applied with BIASVALUE, never METAD.
ENERGY_COMPONENT = BiasNet.names[0]
#: nm: Verlet skin of the exported modules' molecular pair list. In MD of 1,024 TIP4P/Ice molecules at
#: 270 K the pairs were searched again about every 20 steps of 2 fs; the CV's values do not depend on it.
PAIR_SKIN = 0.1


def openmm_file(component: int) -> str:
    """File name of the OpenMM module of CV component ``component``."""
    return f"openmm_cv{component}.pt"


@dataclass
class ComponentStats:
    """Distribution of one CV component over the training frames, for METAD and BiasVariable
    defaults (CV units)."""

    name: str
    meaning: str
    mean: float
    std: float
    minimum: float
    maximum: float
    per_label_mean: dict[str, float] = field(default_factory=dict)
    per_label_std: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_metadata(cls, entry: dict) -> "ComponentStats":
        """The statistics of one entry of metadata.json's ``components``."""
        return cls(entry["name"], entry["meaning"], entry["mean"], entry["std"], entry["min"], entry["max"],
                   dict(entry.get("per_label_mean", {})), dict(entry.get("per_label_std", {})))

    def suggested_sigma(self) -> float:
        """A Gaussian width for metadynamics: half the fluctuation inside a basin (half the smallest
        per-label standard deviation) when labels exist, else a tenth of the overall one."""
        inside = [v for v in self.per_label_std.values() if v > 0]
        return max(0.5 * min(inside) if inside else self.std / 10.0, 1e-6)


def weights_hash(module: torch.nn.Module) -> str:
    """SHA-256 of the module's parameters and buffers (names, dtypes, shapes and values)."""
    return content_digest(dict(module.state_dict()))


def _atomic_save_script(module: torch.jit.ScriptModule, path: Path) -> None:
    with atomic_file(path) as temporary:
        module.save(str(temporary))


def plumed_input(
    atoms: list[int],
    stats: list[ComponentStats],
    temperature: float,
    label: str = "cv",
    model_file: str = PLUMED_MODEL,
    metad: bool = True,
    stride: int = 100,
    fixed_bonds: bool = False,
) -> str:
    """A commented plumed.dat: the model on its atoms, PRINT, and well-tempered METAD on the first CV
    component; components that are bias energies (``bias_net``) are applied with BIASVALUE.

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
    if metad and cvs:
        k = cvs[0]
        first = stats[k]
        span = max(first.maximum - first.minimum, 6 * first.std, 1e-3)
        lines += [
            f"# Well-tempered metadynamics on {label}.node-{k} ({first.name}), as `latentcv metad` does by default.",
            "# SIGMA is half its fluctuation inside a basin of the training frames; the grid spans the",
            "# training range with half its width as margin. Add components to ARG (with a SIGMA and grid",
            "# bounds each) to bias them too; adjust HEIGHT (kJ/mol), PACE (steps) and BIASFACTOR.",
            f"metad: METAD ARG={label}.node-{k} SIGMA={first.suggested_sigma():.6g} HEIGHT=1.0 PACE=500 BIASFACTOR=10 "
            f"TEMP={temperature:g} GRID_MIN={first.minimum - 0.5 * span:.6g} GRID_MAX={first.maximum + 0.5 * span:.6g} "
            "FILE=HILLS",
            "",
        ]
        printed += ",metad.bias"
    lines.append(f"PRINT ARG={printed} STRIDE={stride} FILE=COLVAR")
    return "\n".join(lines) + "\n"


def export_cv(
    cv: LatentCV,
    atoms: list[int],
    n_particles: int,
    out_dir: str | os.PathLike[str],
    stats: list[ComponentStats],
    temperature: float,
    dtype: torch.dtype = torch.float32,
    extra_metadata: dict | None = None,
    pair_skin: float = PAIR_SKIN,
) -> Path:
    """Write the CV folder.

    Parameters
    ----------
    cv : LatentCV
        The CV (encoder with the export topology set, head); put in eval mode here.
    atoms : list of int
        Indices, among the System's particles, of the atoms the encoder reads, in its order.
    n_particles : int
        Particles of the OpenMM System (virtual sites included).
    out_dir : path
        Folder to create or update.
    stats : list of ComponentStats
        One per CV component.
    temperature : float
        K, for the METAD line of plumed.dat.
    dtype : torch.dtype
        Precision of the OpenMM modules (PLUMED's is float32 by its interface).
    extra_metadata : dict, optional
        More entries for metadata.json (training summary, centres, ...).
    pair_skin : float
        nm, the Verlet skin of the modules' molecular pair list (0: search the pairs at every call).
        It changes the cost of a call, not the CV.

    Returns
    -------
    Path
        The folder.
    """
    deployment = cv.deployment()
    if not deployment.pooling_fixed:
        raise ValueError("the seed pooling's count is still learnt: call encoder.fix_pooling(...) before export")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_cv = len(stats)
    # copies (Module.to works in place: keep the caller's cv), with frozen weights: the engines
    # differentiate with respect to the positions only, and weight gradients would cost ~10 % more
    openmm_cv = copy.deepcopy(cv).eval().to(dtype).requires_grad_(False)
    openmm_cv.set_pair_skin(pair_skin)
    for k in range(n_cv):
        module = OpenMMCV(openmm_cv, atoms, n_particles, component=k, dtype=dtype)
        _atomic_save_script(torch.jit.script(module), out / openmm_file(k))
    plumed_cv = copy.deepcopy(cv).eval().float().requires_grad_(False)
    plumed_cv.set_pair_skin(pair_skin)
    plumed = PlumedCV(plumed_cv, n_outputs=n_cv, dtype=torch.float32)
    _atomic_save_script(torch.jit.script(plumed), out / PLUMED_MODEL)
    fixed = deployment.fixed_bonds is not None
    write_text_atomic(out / PLUMED_INPUT, plumed_input(atoms, stats, temperature, fixed_bonds=fixed))
    metadata = {
        "format": "latentcv-cv/1",
        "units": {"length": "nm", "energy": "kJ/mol", "time": "ps", "temperature": "K"},
        "atoms": atoms,
        "n_particles": n_particles,
        "n_atoms": len(atoms),
        "dtype": str(dtype).replace("torch.", ""),
        "components": [
            {"name": s.name, "meaning": s.meaning, "mean": s.mean, "std": s.std, "min": s.minimum,
             "max": s.maximum, "per_label_mean": s.per_label_mean, "per_label_std": s.per_label_std,
             "sigma": s.suggested_sigma(),
             "openmm_file": openmm_file(k)}
            for k, s in enumerate(stats)
        ],
        "cutoff_nm": deployment.cutoff,
        "switch_on_nm": deployment.switch_on,
        "pair_skin_nm": pair_skin,
        "plumed_model": PLUMED_MODEL,
        "plumed_input": PLUMED_INPUT,
        "weights_sha256": weights_hash(cv),
        "file_sha256": {name: file_digest(out / name) for name in [openmm_file(k) for k in range(n_cv)] + [PLUMED_MODEL]},
        "versions": {"latentcv": __version__, "torch": torch.__version__},
        **(extra_metadata or {}),
    }
    lists = {"atoms": atoms}
    if deployment.fixed_bonds is not None and deployment.fixed_bond_lengths is not None:
        source = torch.tensor(atoms, dtype=torch.long)
        lists["fixed_bond_pairs"] = source[deployment.fixed_bonds].t().tolist()
        lists["fixed_bond_lengths_nm"] = [round(float(x), 7) for x in deployment.fixed_bond_lengths]
        metadata["fixed_bonds"] = {"pairs": "__FIXED_BOND_PAIRS__", "lengths_nm": "__FIXED_BOND_LENGTHS_NM__"}
    # long lists on one line each, the rest readable
    text = json.dumps({**metadata, "atoms": "__ATOMS__"}, indent=1)
    for name, values in lists.items():
        text = text.replace(f'"__{name.upper()}__"', json.dumps(values))
    write_text_atomic(out / METADATA, text)
    return out
