"""Write the PLUMED inputs of this folder from the shipped models' exported CVs.

    .venv/bin/python examples/plumed/make_inputs.py

For each model in ``models/`` (``ice-water``, ``urea``) it writes ``examples/plumed/<model>/``:

``colvar.dat``
    The CV only, printed every frame: analysis of a trajectory with ``plumed driver``.
``metad.dat``
    The CV with well-tempered METAD and PRINT every 100 steps: for an MD engine patched with PLUMED.

Both read the model as ``../../../models/<model>/cv/plumed_cv.ptc``: run PLUMED from the model's
folder here (``cd examples/plumed/<model>``), or change FILE= to where the model is. The atom
numbers are those of ``models/<model>/topology.pdb``; for another system size export the CV for
that topology (``latentcv export --model models/<model> --top YOUR.pdb --out CV_DIR``), whose
``plumed.dat`` is the same input for that size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from latentcv.engines.exported import PLUMED_MODEL, load
from latentcv.engines.plumed.input import plumed_input

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent.parent / "models"

#: model: temperature (K) of METAD's TEMP, near the model's melting point (TIP4P/Ice: 270 K,
#: Abascal et al. 2005; urea: 406 K experimental, 400 K here)
TEMPERATURES = {"ice-water": 270.0, "urea": 400.0}


def write_inputs(model: str, out: Path) -> list[Path]:
    """Write ``colvar.dat`` and ``metad.dat`` for ``models/<model>/cv`` into ``out/<model>/``.

    Parameters
    ----------
    model : str
        Folder name in ``models/``.
    out : Path
        Folder that holds one subfolder per model (this folder for the shipped inputs).

    Returns
    -------
    list of Path
        The files written.
    """
    cv = load(MODELS / model / "cv")
    folder = out / model
    folder.mkdir(parents=True, exist_ok=True)
    model_file = f"../../../models/{model}/cv/{PLUMED_MODEL}"
    files = {
        "colvar.dat": plumed_input(cv.atoms, cv.stats(), TEMPERATURES[model], model_file=model_file, metad=False,
                                   stride=1),
        "metad.dat": plumed_input(cv.atoms, cv.stats(), TEMPERATURES[model], model_file=model_file),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return [folder / name for name in files]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(HERE), help="folder to write into (default: this folder)")
    args = parser.parse_args(argv)
    for model in TEMPERATURES:
        for path in write_inputs(model, Path(args.out)):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
