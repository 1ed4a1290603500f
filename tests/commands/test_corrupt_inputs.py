"""Every file the package reads, truncated or garbled, through the command line: one line on
stderr naming the file, exit status 2, no traceback, and nothing written over the input.

The files come from the shipped fast model (``models/ice-water-fast``: model.pt, heads.json,
settings.json) and its CV exported afresh (cv/metadata.json, cv/openmm_cv0.pt, cv/plumed_cv.ptc),
from the OpenMM System of its topology (system.xml, state.xml), and from the checkpoints and PMF
files that ``latentcv train`` and ``latentcv metad`` write. Overwritten bytes inside a tensor do
not stop ``torch.load``: the digests that latentcv writes into its files are what catches them.
Truncated keeps the first half of the bytes; garbled overwrites the middle third with seeded random
bytes.

A text table cut between two rows, or inside a number, is a shorter table that parses: nothing
can tell it from a smaller PMF. The truncated PMF CSV is therefore cut just after a comma, where a
row has lost its energy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openmm
import pytest
import torch

from latentcv.cli import main
from latentcv.commands.export import export_run
from latentcv.commands.metad_config import MetadConfig
from latentcv.engines.openmm.simulation import create_system
from latentcv.systems import tip4p_ice
from latentcv.systems.structure import read_pdb
from latentcv.training.checkpoint import save_checkpoint

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "ice-water-fast"


def truncate(path: Path) -> None:
    data = path.read_bytes()
    cut = len(data) // 2
    if path.suffix == ".csv":
        cut = data.index(b",", cut) + 1
    path.write_bytes(data[:cut])


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    a, b = len(data) // 3, 2 * len(data) // 3
    data[a:b] = np.random.default_rng(0).integers(0, 256, b - a, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {"truncated": truncate, "garbled": garble}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """A folder with a copy of the shipped fast model and CV, its System and a State, a PMF estimate
    and the files of interrupted ``train`` and ``metad`` runs."""
    root = tmp_path_factory.mktemp("inputs")
    model = root / "model"
    shutil.copytree(SHIPPED, model, ignore=shutil.ignore_patterns("report", "cv", "*.png"))
    export_run(model, model / "topology.pdb", model / "cv", ["progress"])
    structure = read_pdb(model / "topology.pdb")
    system = create_system(structure, tip4p_ice.FORCEFIELD_FILE)
    (root / "system.xml").write_text(openmm.XmlSerializer.serialize(system))
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(structure.positions)
    (root / "state.xml").write_text(openmm.XmlSerializer.serialize(context.getState(getPositions=True)))
    # a PMF estimate as `latentcv metad` writes it, and as a CSV
    pmf = root / "pmf"
    pmf.mkdir()
    axis = np.linspace(-0.5, 1.5, 21)
    np.save(pmf / "fes.npy", (axis - 0.5) ** 2)
    np.savez(pmf / "grid.npz", progress=axis)
    (root / "pmf.csv").write_text("progress,free_energy_kJ_mol\n" + "".join(f"{x},{(x - 0.5) ** 2}\n" for x in axis))
    # an interrupted training run (the molecule stage's latest checkpoint) and metadynamics run
    save_checkpoint(root / "train" / "molecule" / "latest.pt", {"epoch": 1, "model": {"w": torch.ones(64, 64)}})
    metad = root / "metad"
    metad.mkdir()
    (metad / "config.json").write_text(MetadConfig(**_metad_config(root)).to_json())
    save_checkpoint(metad / "checkpoint.pt", {"context": torch.zeros(4096, dtype=torch.uint8), "bias": {},
                                              "platform": "CPU"})
    for name in ("colvar.csv", "log.csv", "trajectory.dcd"):
        (metad / name).write_text("")
    return root


def _metad_config(root: Path) -> dict:
    return {"system_xml": str(root / "system.xml"), "pdb": str(root / "model" / "topology.pdb"),
            "cv": str(root / "model" / "cv"), "out": str(root / "metad"), "temperature": 250.0, "ns": 0.001,
            "platform": "Reference"}


def _metad_args(root: Path, out: Path, state: bool = False, resume: bool = False) -> list[str]:
    c = _metad_config(root)
    return ["metad", "--system-xml", c["system_xml"], "--pdb", c["pdb"], "--cv", c["cv"], "--temperature", "250",
            "--ns", "0.001", "--platform", "Reference", "--out", str(out)] + (
        ["--state", str(root / "state.xml")] if state else []) + (["--resume"] if resume else [])


#: (file to damage, relative to the inputs folder; the command that reads it)
CASES: dict[str, tuple[str, Callable[[Path, Path], list[str]]]] = {
    "model.pt": ("model/model.pt", lambda r, t: ["export", "--model", str(r / "model"), "--top",
                                                  str(r / "model" / "topology.pdb"), "--out", str(t / "cv")]),
    "heads.json": ("model/heads.json", lambda r, t: ["export", "--model", str(r / "model"), "--top",
                                                      str(r / "model" / "topology.pdb"), "--out", str(t / "cv")]),
    "settings": ("model/settings.json", lambda r, t: ["train", "--config", str(r / "model" / "settings.json"),
                                                      "--traj", str(r / "model" / "topology.pdb"), "--out",
                                                      str(t / "run")]),
    "metadata.json": ("model/cv/metadata.json", lambda r, t: _evaluate(r, t)),
    "openmm_cv0.pt": ("model/cv/openmm_cv0.pt", lambda r, t: _evaluate(r, t)),
    "plumed_cv.ptc": ("model/cv/plumed_cv.ptc", lambda r, t: _evaluate(r, t) + ["--engine", "plumed"]),
    "system.xml": ("system.xml", lambda r, t: _metad_args(r, t / "metad")),
    "state.xml": ("state.xml", lambda r, t: _metad_args(r, t / "metad", state=True)),
    "training checkpoint": ("train/molecule/latest.pt", lambda r, t: [
        "train", "--traj", f"{r / 'model' / 'topology.pdb'}:crystal", "--traj",
        f"{r / 'model' / 'topology.pdb'}:melt", "--out", str(r / "train"), "--resume"]),
    "metad checkpoint": ("metad/checkpoint.pt", lambda r, t: _metad_args(r, r / "metad", resume=True)),
    "metad config.json": ("metad/config.json", lambda r, t: _metad_args(r, r / "metad", resume=True)),
    "PMF fes.npy": ("pmf/fes.npy", lambda r, t: _cluster_pmf(r, t, r / "pmf")),
    "PMF grid.npz": ("pmf/grid.npz", lambda r, t: _cluster_pmf(r, t, r / "pmf")),
    "PMF CSV": ("pmf.csv", lambda r, t: _cluster_pmf(r, t, r / "pmf.csv")),
}


def _evaluate(root: Path, tmp: Path) -> list[str]:
    top = str(root / "model" / "topology.pdb")
    return ["evaluate", "--cv", str(root / "model" / "cv"), "--traj", top, "--top", top, "--out", str(tmp / "cv.csv")]


def _cluster_pmf(root: Path, tmp: Path, pmf: Path) -> list[str]:
    top = str(root / "model" / "topology.pdb")
    return ["cluster", "--model", str(root / "model"), "--traj", f"{top}:crystal", "--traj", f"{top}:melt",
            "--out", str(tmp / "cluster"), "--pmf", str(pmf)]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_damaged_file_is_one_line_naming_it(inputs, tmp_path, capsys, monkeypatch, case, damage) -> None:
    relative, command = CASES[case]
    target = inputs / relative
    original = target.read_bytes()
    monkeypatch.delenv("LATENTCV_TRACEBACK", raising=False)
    try:
        DAMAGE[damage](target)
        damaged = target.read_bytes()
        code = main(command(inputs, tmp_path))
        assert target.read_bytes() == damaged, "the damaged input must be left as it was"
    finally:
        target.write_bytes(original)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("latentcv ")]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(target) in lines[0] and "error" in lines[0], lines[0]


def test_the_inputs_are_readable_when_intact(inputs, tmp_path, capsys) -> None:
    """The damaged-file cases fail because of the damage: the intact files pass the same readers."""
    assert main(_evaluate(inputs, tmp_path)) == 0
    assert main(_evaluate(inputs, tmp_path) + ["--engine", "plumed"]) == 0
    plumed = np.loadtxt(tmp_path / "cv.csv", delimiter=",", skiprows=1)
    assert main(_evaluate(inputs, tmp_path)) == 0
    openmm_values = np.loadtxt(tmp_path / "cv.csv", delimiter=",", skiprows=1)
    # both exported files compute the same CV (float32 round-off of a progress of order 1)
    np.testing.assert_allclose(plumed, openmm_values, atol=1e-4)
