"""TrainConfig: parsing, validation, merging, saving."""

from __future__ import annotations

import json

import pytest
import yaml

from latentcv.errors import InputError
from latentcv.training import TrainConfig


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lr": -1e-3}, "lr must be a positive number"),
        ({"schedule": "linear"}, "schedule must be one of cosine, exponential, step, constant"),
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"batch_size": 2.5}, "batch_size must be an int"),
        ({"ema_decay": 1.0}, "ema_decay must be in [0, 1)"),
        ({"device": "tpu"}, "device must be one of auto, cpu, cuda"),
        ({"warmup_epochs": 1, "warmup_steps": 5}, "warmup_steps must be 0 when warmup_epochs is set"),
        ({"epochs": True}, "epochs must be an int"),
        ({"lrate": 0.1}, "unknown training option(s) lrate"),
        ({"threads": -1}, "threads must be 0 (torch's default) or more"),
    ],
)
def test_bad_values_raise_input_error(values, message):
    with pytest.raises(InputError) as info:
        TrainConfig.from_dict(values)
    assert message in str(info.value)


def test_unknown_yaml_key_names_the_key(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("epochs: 3\nlearning_rate: 0.1\nbatchsize: 4\n")
    with pytest.raises(InputError, match=r"unknown training option\(s\) batchsize, learning_rate"):
        TrainConfig.load(path)


def test_yaml_and_json_files_with_overrides(tmp_path):
    yaml_path = tmp_path / "cfg.yaml"
    yaml_path.write_text("lr: 1e-3\nschedule: step\nepochs: 7\n")  # PyYAML reads 1e-3 as a string
    cfg = TrainConfig.load(yaml_path, overrides={"epochs": "9", "batch_size": None, "ema_decay": 0.99})
    assert (cfg.lr, cfg.schedule, cfg.epochs, cfg.ema_decay) == (1e-3, "step", 9, 0.99)
    assert cfg.batch_size == TrainConfig().batch_size
    json_path = tmp_path / "cfg.json"
    json_path.write_text(json.dumps({"seed": 5, "find_unused_parameters": "true"}))
    assert TrainConfig.load(json_path) == TrainConfig(seed=5, find_unused_parameters=True)


def test_unparsable_or_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: [1, 2\n")
    with pytest.raises(InputError, match="does not parse"):
        TrainConfig.load(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="must hold a mapping"):
        TrainConfig.load(listing)
    with pytest.raises(InputError, match="cannot read"):
        TrainConfig.load(tmp_path / "missing.yaml")


def test_round_trip_and_save(tmp_path):
    cfg = TrainConfig(epochs=3, lr=0.5, schedule="exponential", gamma=0.8)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.replace(epochs=4).epochs == 4
    yaml_path, json_path = cfg.save(tmp_path / "run")
    assert TrainConfig.from_dict(yaml.safe_load(yaml_path.read_text())) == cfg
    assert TrainConfig.from_dict(json.loads(json_path.read_text())) == cfg
