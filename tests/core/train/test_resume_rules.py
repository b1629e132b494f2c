"""What a resume keeps: a resumed run validates on its own validation images (the split is a
hash of the seed and each path, under the Validation share), continues from its last.ckpt
rather than from start weights, and says so before anything changes. Epochs 'auto' on resume
is the run's own number; an unlabelled folder gone since is named as the run's own."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from core.control import RunControl
from core.errors import ConfigError
from core.events import EpochEnded
from core.train.config import TrainConfig, resume_config
from core.train.launch import train_arguments
from core.train.loop import fit
from core.train.resume import compatible_config
from core.train.validation import config_problems
from tests.core.cli.cli_helpers import PINNED_CPU, loupe
from tests.core.image_factory import make_shapes_dataset
from tests.core.run_factory import file_bytes

FLAGS = ("--device", "cpu", "--arch", "loupe_net", "--batch-size", "16", "--image-size", "16")
MAY_CHANGE = "A resume may change Epochs, Learning rate, Batch size"


def _train(data, out, *flags) -> None:
    done = loupe("train", data, "--out", out, *FLAGS, *PINNED_CPU, *flags)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def finished_run(shapes_data, tmp_path_factory) -> Path:
    """Two epochs, completed."""
    out = tmp_path_factory.mktemp("resume_rules") / "run"
    _train(shapes_data, out, "--epochs", "2")
    return out


@pytest.fixture
def run(finished_run, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--seed", "7"], "Seed (--seed) 7: it was trained with 0"),
        (["--val-split", "0.5"], "Validation share (--val-split) 0.5: it was trained with 0.2"),
        (["--weights", "START"], "Weights file (--weights) "),
        (["--pretrained"], "Start from ImageNet weights (--pretrained) on"),
    ],
)
def test_a_resume_keeps_its_validation_images_and_start_and_changes_nothing(
    shapes_data, run, flags, named
):
    start = run.parent / "start.safetensors"  # an existing weights file that fits
    shutil.copy(run / "model.safetensors", start)
    before = file_bytes(run)
    flags = [str(start) if f == "START" else f for f in flags]
    done = loupe("train", shapes_data, "--out", run, "--resume", "--epochs", "4", *flags)
    assert done.returncode == 1
    assert f"Cannot resume {run} with {named}" in done.stderr
    assert MAY_CHANGE in done.stderr  # and what may change instead
    assert "Fine-tuning" not in done.stderr and "epoch 3/4" not in done.stderr
    assert file_bytes(run) == before  # config.json still says how the run was made


def test_last_ckpt_is_checked_too_when_config_json_does_not_say(tmp_path):
    ckpt = {"config": {"seed": 0, "val_split": 0.2, "weights_file": None}, "next_epoch": 2}
    cfg = TrainConfig(data_dir="d", out_dir=str(tmp_path), epochs=4, resume=True)
    assert compatible_config(ckpt, cfg, str(tmp_path)).seed == 0
    for change in ({"seed": 7}, {"val_split": 0.5}, {"weights_file": "other.pt"}):
        with pytest.raises(ConfigError, match="Cannot resume .*: it was trained with"):
            compatible_config(ckpt, dataclasses.replace(cfg, **change), str(tmp_path))


def test_what_may_change_still_resumes_and_so_does_the_window(shapes_data, run):
    same = ["--seed", "0", "--val-split", "0.2", "--weights", ""]  # given, but unchanged
    done = loupe(
        "train", shapes_data, "--out", run, "--resume", "--epochs", "3", "--lr", "0.01",
        "--batch-size", "8", "--optimizer", "sgd", "--label-smoothing", "0", *same,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = json.loads((run / "config.json").read_text())
    assert (config["seed"], config["val_split"], config["weights_file"]) == (0, 0.2, None)
    # The window's Resume / extend: every setting of config.json given as a flag.
    words = train_arguments(resume_config(str(run), epochs=4))
    done = loupe(*words)
    assert done.returncode == 0, done.stderr
    assert "epoch 4/4" in done.stderr


def test_epochs_auto_on_resume_is_the_runs_own_number(shapes_data, run, tmp_path):
    before = file_bytes(run)
    done = loupe("train", shapes_data, "--out", run, "--resume", "--epochs", "auto")
    assert done.returncode == 1
    assert (
        f"{run} has already trained 2 epochs, and Epochs (--epochs) auto on resume means the "
        "run's own number, 2: to extend it, give a number above 2 (e.g. 7)."
    ) in done.stderr
    assert file_bytes(run) == before
    # A stopped run: auto continues it to its own number, not to a new choice of auto's.
    stopped = tmp_path / "stopped"
    control = RunControl()
    cfg = TrainConfig(
        data_dir=shapes_data, out_dir=str(stopped), arch="loupe_net", epochs=3, batch_size=16,
        image_size=16, device="cpu", cpu_threads=1, mixed_precision="off",
    )  # fmt: skip
    for event in fit(cfg, control):
        if isinstance(event, EpochEnded):
            control.request_stop()
    done = loupe("train", shapes_data, "--out", stopped, "--resume", "--epochs", "auto")
    assert done.returncode == 0, done.stderr
    assert "at epoch 2 of 3: loupe_net continues" in done.stderr and "epoch 3/3" in done.stderr


def test_a_gone_unlabelled_folder_typed_relatively_again_is_still_the_runs_own(
    shapes_data, tmp_path, monkeypatch
):
    """config.json keeps the folder absolute; the user types it again as before, relative."""
    monkeypatch.chdir(tmp_path)
    make_shapes_dataset(tmp_path / "pool", per_class=2, size=16, seed=11)
    _train(shapes_data, "run", "--epochs", "1", "--unlabelled", "pool", "--unlabelled-ratio", "1")
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["unlabelled"]["folder"]
    assert saved == str(tmp_path / "pool")
    shutil.rmtree(tmp_path / "pool")
    done = loupe("train", shapes_data, "--out", "run", "--resume", "--unlabelled", "pool")
    assert done.returncode == 1
    assert "This run learnt from unlabelled images in pool, which is gone" in done.stderr


def test_a_resume_whose_unlabelled_folder_is_gone_names_it_as_the_runs_own(shapes_data, tmp_path):
    pool = make_shapes_dataset(tmp_path / "pool", per_class=2, size=16, seed=11)
    run = tmp_path / "run"
    _train(shapes_data, run, "--epochs", "1", "--unlabelled", pool, "--unlabelled-ratio", "1")
    shutil.rmtree(pool)
    before = file_bytes(run)
    done = loupe("train", shapes_data, "--out", run, "--resume", "--epochs", "2")
    assert done.returncode == 1
    gone = (
        f"This run learnt from unlabelled images in {pool}, which is gone: give --unlabelled "
        "NEWDIR, or --unlabelled '' to continue without them."
    )
    assert gone in done.stderr and "folder not found" not in done.stderr
    assert file_bytes(run) == before
    assert gone in config_problems(resume_config(str(run), epochs=2))  # the window's Resume
    done = loupe(
        "train", shapes_data, "--out", run, "--resume", "--epochs", "2", "--unlabelled", ""
    )
    assert done.returncode == 0, done.stderr
    assert "Unlabelled images" not in done.stderr.splitlines()[-1]  # it went on without them
    assert json.loads((run / "config.json").read_text())["unlabelled"]["folder"] == ""


def test_a_resume_needs_no_start_weights_file_any_more(shapes_data, finished_run, tmp_path):
    start = tmp_path / "start.safetensors"
    shutil.copy(finished_run / "model.safetensors", start)
    run = tmp_path / "run"
    _train(shapes_data, run, "--epochs", "1", "--weights", start)
    start.unlink()  # moved or deleted since: the run continues from its last.ckpt
    done = loupe("train", shapes_data, "--out", run, "--resume", "--epochs", "2")
    assert done.returncode == 0, done.stderr
    assert json.loads((run / "config.json").read_text())["weights_file"] == str(start)


def test_train_help_says_what_a_resume_may_change():
    done = loupe("train", "--help")
    text = " ".join(done.stdout.split())
    assert "A resume may change Epochs, Learning rate, Batch size" in text
    assert "--epochs auto is the run's own number" in text and "--unlabelled ''" in text
