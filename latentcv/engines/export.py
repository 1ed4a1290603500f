"""Write an exported CV folder (the deployment contract; file names and signatures are public).

``CV_DIR/openmm_cv<k>.pt``
    TorchScript for openmm-torch, one file per CV component k:
    ``forward(positions[N, 3], boxvectors[3, 3]) -> 0-d tensor``, N every particle of the System.
``CV_DIR/plumed_cv.ptc``
    TorchScript for PLUMED's PYTORCH_MODEL: ``forward(x[1, 3 n + 9]) -> [1, n_cv]``, float32.
``CV_DIR/plumed.dat``
    A working PLUMED input (POSITION per atom, CELL, PYTORCH_MODEL, PRINT, well-tempered METAD).
``CV_DIR/plumed_opes.dat``
    The same with OPES_METAD instead of METAD (PLUMED's opes module; its BARRIER is to be edited).
``CV_DIR/metadata.json``
    Atom indices, particle count, units, cutoffs, CV names and meanings, centres, training summary,
    versions, a hash of the weights, the SHA-256 of every TorchScript file (``file_sha256``, checked
    by :func:`latentcv.engines.exported.load`) and, for a CV with fixed bonds (``latentcv export
    --constrained-bonds``), the bonds (particle pairs) the MD must constrain and their lengths.

Both engine files wrap the same scripted :class:`latentcv.cv.latent_cv.LatentCV`: there is no
second implementation of the CV for deployment.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import torch

from latentcv import __version__
from latentcv.atomic import atomic_file, write_text_atomic
from latentcv.cv.latent_cv import LatentCV
from latentcv.cv.stats import ComponentStats
from latentcv.cv.untrained import Frame, untrained_cv
from latentcv.engines.exported import METADATA, PLUMED_INPUT, PLUMED_MODEL, PLUMED_OPES_INPUT, openmm_file
from latentcv.engines.openmm.adapter import OpenMMCV
from latentcv.engines.plumed.adapter import PlumedCV
from latentcv.engines.plumed.input import plumed_input
from latentcv.readers import content_digest, file_digest

#: nm: Verlet skin of the exported modules' molecular pair list; the CV's values do not depend on it,
#: only how often a call searches the pairs anew (:class:`latentcv.geometry.verlet.VerletPairs`).
PAIR_SKIN = 0.1


def weights_hash(module: torch.nn.Module) -> str:
    """SHA-256 of the module's parameters and buffers (names, dtypes, shapes and values)."""
    return content_digest(dict(module.state_dict()))


def _atomic_save_script(module: torch.jit.ScriptModule, path: Path) -> None:
    with atomic_file(path) as temporary:
        module.save(str(temporary))


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
    """Write the CV folder of a learnt CV (:func:`write_cv_folder` with the encoder's deployment facts).

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
    metadata = {"cutoff_nm": deployment.cutoff, "switch_on_nm": deployment.switch_on, **(extra_metadata or {})}
    lists: dict[str, list] = {}
    if deployment.fixed_bonds is not None and deployment.fixed_bond_lengths is not None:
        source = torch.tensor(atoms, dtype=torch.long)
        lists["fixed_bond_pairs"] = source[deployment.fixed_bonds].t().tolist()
        lists["fixed_bond_lengths_nm"] = [round(float(x), 7) for x in deployment.fixed_bond_lengths]
        metadata["fixed_bonds"] = {"pairs": "__FIXED_BOND_PAIRS__", "lengths_nm": "__FIXED_BOND_LENGTHS_NM__"}
    return write_cv_folder(cv, atoms, n_particles, out_dir, stats, temperature, dtype, metadata, pair_skin,
                           lists, fixed_bonds=deployment.fixed_bonds is not None)


def write_cv_folder(
    cv: torch.nn.Module,
    atoms: list[int],
    n_particles: int,
    out_dir: str | os.PathLike[str],
    stats: list[ComponentStats],
    temperature: float,
    dtype: torch.dtype,
    metadata: dict,
    pair_skin: float,
    lists: dict[str, list] | None = None,
    fixed_bonds: bool = False,
) -> Path:
    """Write the CV folder of any CV module (the learnt one, or a baseline such as
    :class:`latentcv.cv.steinhardt.SteinhardtCV`).

    Parameters
    ----------
    cv : torch.nn.Module
        ``forward(positions[n, 3], box[3, 3]) -> Tensor[n_cv]`` over the ``atoms``, with a
        ``set_pair_skin(skin)`` method; copied, put in eval mode and frozen here.
    atoms, n_particles, out_dir, stats, temperature, dtype, pair_skin
        As for :func:`export_cv`.
    metadata : dict
        Entries of metadata.json besides the common ones (atoms, components, files, versions).
    lists : dict, optional
        Long lists written on one line each: ``lists[name]`` replaces the string
        ``"__NAME__"`` (upper case) in ``metadata``.
    fixed_bonds : bool
        Whether the MD must constrain fixed bonds (a comment in plumed.dat).

    Returns
    -------
    Path
        The folder.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_cv = len(stats)
    # copies (Module.to works in place: keep the caller's cv), with frozen weights: the engines
    # differentiate with respect to the positions only, and weight gradients would only cost time
    openmm_cv = copy.deepcopy(cv).eval().to(dtype).requires_grad_(False)
    openmm_cv.set_pair_skin(pair_skin)
    for k in range(n_cv):
        module = OpenMMCV(openmm_cv, atoms, n_particles, component=k, dtype=dtype)
        _atomic_save_script(torch.jit.script(module), out / openmm_file(k))
    plumed_cv = copy.deepcopy(cv).eval().float().requires_grad_(False)
    plumed_cv.set_pair_skin(pair_skin)
    plumed = PlumedCV(plumed_cv, n_outputs=n_cv, dtype=torch.float32)
    _atomic_save_script(torch.jit.script(plumed), out / PLUMED_MODEL)
    write_text_atomic(out / PLUMED_INPUT, plumed_input(atoms, stats, temperature, fixed_bonds=fixed_bonds))
    write_text_atomic(out / PLUMED_OPES_INPUT, plumed_input(atoms, stats, temperature, fixed_bonds=fixed_bonds,
                                                            opes=True))
    common = {
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
    }
    everything = {
        **common,
        **{k: v for k, v in metadata.items() if k not in common},
        "pair_skin_nm": pair_skin,
        "plumed_model": PLUMED_MODEL,
        "plumed_input": PLUMED_INPUT,
        "plumed_opes_input": PLUMED_OPES_INPUT,
        "weights_sha256": weights_hash(cv),
        "file_sha256": {name: file_digest(out / name)
                        for name in [openmm_file(k) for k in range(n_cv)] + [PLUMED_MODEL]},
        "versions": {"latentcv": __version__, "torch": torch.__version__},
    }
    lists = {"atoms": atoms, **(lists or {})}
    # long lists on one line each, the rest readable
    text = json.dumps({**everything, "atoms": "__ATOMS__"}, indent=1)
    for name, values in lists.items():
        text = text.replace(f'"__{name.upper()}__"', json.dumps(values))
    write_text_atomic(out / METADATA, text)
    return out


def export_untrained_cv(
    topology_pdb: str | os.PathLike[str],
    melt: Frame,
    crystal: Frame,
    out_dir: str | os.PathLike[str],
    temperature: float,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    constrained_bonds: bool = False,
) -> Path:
    """Export the untrained two-component progress CV of :func:`latentcv.cv.untrained.untrained_cv`
    (random encoder weights: a smoke test of the metadynamics machinery, not a learned CV).

    Parameters
    ----------
    topology_pdb, melt, crystal, seed, constrained_bonds
        As for :func:`latentcv.cv.untrained.untrained_cv`.
    out_dir : path
        CV folder to write.
    temperature : float
        K, for the METAD line of plumed.dat.
    dtype : torch.dtype
        Precision of the OpenMM modules.

    Returns
    -------
    Path
        The CV folder.
    """
    made = untrained_cv(topology_pdb, melt, crystal, seed=seed, constrained_bonds=constrained_bonds)
    return export_cv(made.cv, made.atoms, made.n_particles, out_dir, made.stats, temperature, dtype, made.metadata)
