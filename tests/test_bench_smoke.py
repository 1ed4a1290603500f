"""Smoke tests of the benchmarks in bench/: each runs end to end with tiny settings and writes its
JSON and PNG. Real OpenMM, openmm-torch and training; no speed is asserted (the benches print it)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import latentcv  # noqa: F401  (torch before openmm)
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(name: str) -> ModuleType:
    """Import ``bench/<name>.py`` the way ``python bench/<name>.py`` runs it (``_common`` beside it)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def written(out: Path, name: str) -> dict:
    """The JSON a benchmark wrote, after checking that its PNG is there too."""
    assert (out / f"{name}.png").stat().st_size > 0
    return json.loads((out / f"{name}.json").read_text())


@pytest.mark.parametrize("name", ["cv_cost", "md_overhead", "train_throughput"])
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench_module(name).main(["--help"])
    assert exit_info.value.code == 0
    assert "--out" in capsys.readouterr().out


def test_cv_cost_dense_and_cell_list(tmp_path):
    # 64 and 128 both give the smallest ice box (288 molecules, dense); 576 takes the cell list
    bench_module("cv_cost").main(["--sizes", "64", "128", "576", "--repeats", "2", "--warmup", "1",
                                  "--devices", "cpu", "--out", str(tmp_path)])
    result = written(tmp_path, "cv_cost")
    assert Path(result["model"]).name == "ice-water"  # the default, recorded with the numbers
    assert [(r["molecules"], r["neighbours"]) for r in result["rows"]] == [(288, "dense"), (576, "cell list")]
    for row in result["rows"]:
        assert row["particles"] == 4 * row["molecules"]
        assert row["median_ms"] > 0 and row["min_ms"] > 0 and row["search_ms"] > 0
    scaling = result["scaling"]["cpu"]
    assert (scaling["from_molecules"], scaling["to_molecules"]) == (288, 576)
    assert scaling["ratio"] > 0 and scaling["linear_ratio"] == 2.0


def test_cv_compare_of_a_model_with_itself(tmp_path):
    fast = BENCH.parent / "models" / "ice-water-fast"
    result = bench_module("cv_compare").main(["--models", str(fast), str(fast), "--molecules", "64", "--rounds", "2",
                                              "--calls", "2", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "cv_compare.json").read_text())  # the numbers, with the machine beside them
    assert {key: saved[key] for key in result} == result
    assert result["molecules"] == 288 and result["ratio"] > 0 and len(result["rows"]) == 2


def test_md_overhead_with_and_without_mts(tmp_path):
    bench_module("md_overhead").main(["--platform", "CPU", "--molecules", "64", "--steps", "8", "--rounds", "2",
                                      "--warmup", "2", "--mts", "1", "2", "--out", str(tmp_path)])
    result = written(tmp_path, "md_overhead")
    assert result["platform"] == "CPU" and result["molecules"] == 288 and result["torch_threads"] == 1
    assert Path(result["model"]).name == "ice-water"  # the default, recorded with the numbers
    assert result["plain_ns_day"] > 0
    assert [row["mts"] for row in result["rows"]] == [1, 2]
    for row in result["rows"]:
        assert row["steps"] == 8 and row["biased_ns_day"] > 0 and row["plain_ns_day"] > 0
        assert row["ratio"] == pytest.approx(row["biased_ns_day"] / row["plain_ns_day"])


def test_train_throughput_both_stages(tmp_path):
    bench_module("train_throughput").main(["--frames", "16", "--md-ps", "0.2", "--equilibrate", "0", "--epochs", "1",
                                           "--molecule-epochs", "1", "--out", str(tmp_path)])
    result = written(tmp_path, "train_throughput")
    assert result["molecules"] == 288 and result["training_frames"] == 16
    assert [row["stage"] for row in result["rows"]] == ["molecule", "configuration"]
    for row in result["rows"]:
        assert row["epochs"] == 1 and row["train_frames"] == 16
        assert row["s_per_epoch"] > 0 and row["s_per_2000_frames"] > row["s_per_epoch"]
