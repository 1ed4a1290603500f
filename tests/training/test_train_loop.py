"""The training loop on the toy autoencoder: learning, files, EMA, early stopping, freezing."""

from __future__ import annotations

import csv

import pytest
import torch
import yaml
from train_toy import ToyAutoencoder, toy_data, toy_model

from latentcv.errors import InputError, LatentCVError
from latentcv.training import TrainConfig, Trainer, fit, load_checkpoint, load_weights


def test_loss_decreases_and_run_files_are_written(tmp_path, small_config, capsys):
    cfg = TrainConfig.from_dict({**small_config, "epochs": 6, "lr": 3e-2, "checkpoint_every": 3})
    result = fit(toy_model(), toy_data(), None, cfg, tmp_path / "run")
    history = [row for row in csv.DictReader(open(result.paths["metrics"]))]
    assert len(history) == 6 and result.epochs == 6 and result.steps == 6 * 3
    assert float(history[-1]["train_loss"]) < 0.5 * float(history[0]["train_loss"])
    assert float(history[-1]["valid_recon"]) < 0.5 * float(history[0]["valid_recon"])
    assert list(history[0]) == [
        "epoch", "lr", "time", "train_latent", "valid_latent", "train_loss", "valid_loss", "train_recon", "valid_recon"
    ]
    assert result.paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert TrainConfig.from_dict(yaml.safe_load(result.paths["config_yaml"].read_text())) == cfg
    names = sorted(p.name for p in result.run_dir.iterdir())
    checkpoints = ["best.pt", "epoch_0003.pt", "epoch_0006.pt", "latest.pt"]
    assert names == sorted([*checkpoints, "config.json", "config.yaml", "loss.png", "metrics.csv"])
    assert result.best_metrics["valid_loss"] == min(float(row["valid_loss"]) for row in history)
    table = capsys.readouterr().out.splitlines()
    assert table[1].split() == list(history[0]) and len(table) == 2 + 6


def test_best_checkpoint_holds_the_ema_weights_that_validation_judged(tmp_path, small_config):
    cfg = TrainConfig.from_dict({**small_config, "epochs": 3})
    trainer = Trainer(toy_model(), toy_data(), None, cfg, tmp_path, verbose=False)
    result = trainer.fit()
    model = load_weights(result.paths["best"], ToyAutoencoder()).eval()
    valid = torch.stack([trainer.valid_set[i][0] for i in range(len(trainer.valid_set))])
    with torch.no_grad():
        ema_loss = model.loss((valid[:16],))["loss"].item() + model.loss((valid[16:],))["loss"].item()
        raw = load_weights(result.paths["best"], ToyAutoencoder(), ema=False).eval()
        raw_loss = raw.loss((valid[:16],))["loss"].item() + raw.loss((valid[16:],))["loss"].item()
    assert ema_loss / 2 == pytest.approx(result.best_metrics["valid_loss"], rel=1e-6)
    assert raw_loss / 2 != pytest.approx(result.best_metrics["valid_loss"], rel=1e-3)


class EvalPlateau(ToyAutoencoder):
    """Validation loss never improves after the first epoch."""

    def loss(self, batch):
        terms = super().loss(batch)
        return terms if self.training else {**terms, "loss": torch.tensor(1.0)}


def test_early_stopping_stops_after_patience(tmp_path, small_config):
    cfg = TrainConfig.from_dict({**small_config, "epochs": 20, "patience": 2, "ema_decay": 0.0})
    result = fit(EvalPlateau(), toy_data(), None, cfg, tmp_path, verbose=False)
    assert result.stopped_early and result.epochs == 3 and result.best_epoch == 1
    assert load_checkpoint(result.paths["best"])["epoch"] == 1
    assert fit(EvalPlateau(), toy_data(), None, cfg, tmp_path, resume=True, verbose=False).epochs == 3


def test_only_parameters_that_require_grad_are_trained(tmp_path, small_config):
    model = toy_model()
    model.encoder.requires_grad_(False)
    encoder_before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    decoder_before = {k: v.clone() for k, v in model.decoder.state_dict().items()}
    fit(model, toy_data(), None, TrainConfig.from_dict({**small_config, "epochs": 1}), tmp_path, verbose=False)
    assert all(torch.equal(v, model.encoder.state_dict()[k]) for k, v in encoder_before.items())
    assert not any(torch.equal(v, model.decoder.state_dict()[k]) for k, v in decoder_before.items())
    model.requires_grad_(False)
    with pytest.raises(InputError, match="no parameter with requires_grad=True"):
        Trainer(model, toy_data(), None, TrainConfig(), tmp_path / "frozen")


def test_hooks_see_every_epoch(tmp_path, small_config):
    seen = []
    cfg = TrainConfig.from_dict({**small_config, "epochs": 2})
    hook = lambda trainer, epoch: seen.append((epoch, len(trainer.history)))  # noqa: E731
    fit(toy_model(), toy_data(), None, cfg, tmp_path, hooks=[hook], verbose=False)
    assert seen == [(1, 1), (2, 2)]


@pytest.mark.parametrize("threads", [1, 2, 0])
def test_training_runs_on_the_configured_threads_and_restores_them(tmp_path, small_config, threads):
    """``threads`` holds inside the loop (0: torch's own setting) and the caller's count comes back."""
    before = torch.get_num_threads()
    seen = []
    cfg = TrainConfig.from_dict({**small_config, "epochs": 1, "threads": threads})
    fit(toy_model(), toy_data(), None, cfg, tmp_path,
        hooks=[lambda trainer, epoch: seen.append(torch.get_num_threads())], verbose=False)
    assert seen == [threads or before] and torch.get_num_threads() == before


class Diverging(ToyAutoencoder):
    def loss(self, batch):
        return {"loss": super().loss(batch)["loss"] * float("nan")}


def test_non_finite_loss_and_run_directory_misuse(tmp_path, small_config):
    cfg = TrainConfig.from_dict(small_config)
    with pytest.raises(LatentCVError, match="training loss is nan at epoch 1, batch 1"):
        fit(Diverging(), toy_data(), None, cfg, tmp_path / "nan", verbose=False)
    with pytest.raises(InputError, match="no checkpoint"):
        fit(toy_model(), toy_data(), None, cfg, tmp_path / "fresh", resume=True, verbose=False)
    fit(toy_model(), toy_data(), None, cfg.replace(epochs=1), tmp_path / "done", verbose=False)
    with pytest.raises(InputError, match="already holds a run"):
        fit(toy_model(), toy_data(), None, cfg, tmp_path / "done", verbose=False)
    with pytest.raises(InputError, match="training set is empty"):
        fit(toy_model(), toy_data(n=0), None, cfg, tmp_path / "empty", verbose=False)


def test_without_validation_the_train_loss_is_monitored(tmp_path, small_config):
    cfg = TrainConfig.from_dict({**small_config, "epochs": 2, "valid_fraction": 0.0})
    result = fit(toy_model(), toy_data(), None, cfg, tmp_path, verbose=False)
    assert not any(key.startswith("valid_") for key in result.last_metrics)
    losses = [row["train_loss"] for row in load_checkpoint(result.paths["latest"])["history"]]
    # 96 samples: 6 batches, 3 steps an epoch
    assert result.best_metrics["train_loss"] == min(losses) and result.steps == 2 * 3
