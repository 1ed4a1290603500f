"""DDP under torchrun: two gloo processes on the CPU train one model and write one set of files."""

from __future__ import annotations

import json

import torch
from train_toy import run_python

from latentcv.training import load_checkpoint
from latentcv.training.distributed import DistributedContext, LossModule, wrap_model


def test_two_gloo_processes_train_in_step(tmp_path):
    run_dir, dump = tmp_path / "run", tmp_path / "weights"
    config = {"epochs": 3, "batch_size": 8, "lr": 3e-2, "ema_decay": 0.9, "grad_accum": 2, "valid_fraction": 0.25}
    torchrun = ["-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone"]
    script = ["train_toy_run.py", str(run_dir), json.dumps(config), "--dump", str(dump)]
    child = run_python([*torchrun, *script], timeout=180)
    assert child.returncode == 0, child.stderr[-3000:]
    rank0, rank1 = torch.load(dump / "rank0.pt"), torch.load(dump / "rank1.pt")
    assert all(torch.equal(tensor, rank1[name]) for name, tensor in rank0.items())
    files = sorted(p.name for p in run_dir.iterdir())
    assert files == ["best.pt", "config.json", "config.yaml", "latest.pt", "loss.png", "metrics.csv"]
    saved = load_checkpoint(run_dir / "latest.pt")
    assert len(saved["rng"]) == 2 and not torch.equal(saved["rng"][0]["torch"], saved["rng"][1]["torch"])
    # 72 train samples: 36 a rank, 5 batches of 8, 3 optimizer steps an epoch
    assert saved["step"] == 9 and len(saved["history"]) == 3
    assert saved["history"][-1]["train_loss"] < 0.7 * saved["history"][0]["train_loss"]


def test_one_process_needs_no_ddp():
    model = torch.nn.Linear(2, 2)
    wrapped = wrap_model(model, DistributedContext(), torch.device("cpu"))
    assert isinstance(wrapped, LossModule) and wrapped.model is model
