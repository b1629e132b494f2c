"""The rules of "auto" and of a run's arithmetic, shared by the engine, the CLI and the window."""

from __future__ import annotations

import json

import pytest

from core.data.datasets import DatasetReport
from core.errors import LoupeError
from core.train.config import TrainConfig, resume_config, to_dict
from core.train.defaults import expected_arch, resolve_auto, steps_per_epoch


@pytest.mark.parametrize(
    "images, batch, steps", [(64, 64, 1), (65, 64, 1), (66, 64, 2), (1, 64, 1), (0, 64, 0)]
)
def test_steps_per_epoch_drops_a_last_batch_of_one_image(images, batch, steps):
    assert steps_per_epoch(images, batch) == steps


@pytest.mark.parametrize("median", [(32, 32), (64, 200), (65, 65), (640, 480)])
def test_the_window_names_the_architecture_that_resolve_auto_trains(median):
    report = DatasetReport("/d", "flat", ["a", "b"], {}, median_size=median)
    config = TrainConfig(data_dir="/d", out_dir="/o")
    resolved, _ = resolve_auto(config, report, "cpu", lambda arch: False)
    named = expected_arch("auto", report)
    assert named in ("auto", resolved.arch)
    # Small images are known before torch loads, so the folder name must say what trains.
    assert (named == resolved.arch) == (min(median) <= 64)


def test_resume_config_continues_the_run_with_the_changes_asked_for(tmp_path):
    saved = TrainConfig(data_dir="/photos", out_dir="/elsewhere", epochs=3, seed=7)
    (tmp_path / "config.json").write_text(json.dumps(to_dict(saved)))
    config = resume_config(str(tmp_path), epochs=9)
    assert (config.out_dir, config.resume, config.epochs) == (str(tmp_path), True, 9)
    assert (config.data_dir, config.seed) == ("/photos", 7)
    assert resume_config(str(tmp_path), data_dir="/moved").data_dir == "/moved"


@pytest.mark.parametrize("text", ["[1]", "{not json", None])
def test_resume_config_names_the_file_when_it_cannot_be_read(tmp_path, text):
    if text is not None:
        (tmp_path / "config.json").write_text(text)
    with pytest.raises(LoupeError) as error:
        resume_config(str(tmp_path))
    assert str(tmp_path / "config.json") in str(error.value)
