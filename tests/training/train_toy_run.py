"""Train the toy model in a separate process (plain or under torchrun), for the tests that kill
a training run or run it with DDP.

Usage: ``python train_toy_run.py RUN_DIR CONFIG_JSON [--resume] [--signal NAME --at-batch N]
[--dump DIR]``. ``--signal`` sends the signal to this process at the N-th training batch;
``--dump`` writes each rank's final weights to ``DIR/rank<R>.pt``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from pathlib import Path

import torch
from train_toy import ToyAutoencoder, toy_data, toy_model

from latentcv.training import TrainConfig, fit


class SignalledAutoencoder(ToyAutoencoder):
    """Sends ``sig`` to its own process at training batch ``at_batch`` (1-based)."""

    def __init__(self, sig: signal.Signals, at_batch: int) -> None:
        super().__init__()
        self.sig, self.at_batch, self.batches = sig, at_batch, 0

    def loss(self, batch: tuple[torch.Tensor]) -> dict[str, torch.Tensor]:
        if self.training:
            self.batches += 1
            if self.batches == self.at_batch:
                os.kill(os.getpid(), self.sig)
        return super().loss(batch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("config")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--signal")
    parser.add_argument("--at-batch", type=int, default=0)
    parser.add_argument("--dump")
    args = parser.parse_args()
    model = toy_model()
    if args.signal:
        signalled = SignalledAutoencoder(signal.Signals[args.signal], args.at_batch)
        signalled.load_state_dict(model.state_dict())
        model = signalled
    config = TrainConfig.from_dict(json.loads(args.config))
    result = fit(model, toy_data(), None, config, args.run_dir, resume=args.resume, verbose=False)
    if args.dump:
        Path(args.dump).mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), Path(args.dump) / f"rank{os.environ.get('RANK', '0')}.pt")
    print(json.dumps({"epochs": result.epochs, "interrupted": result.interrupted}))


if __name__ == "__main__":
    main()
