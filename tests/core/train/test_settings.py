"""Settings metadata: written once in core.train.config, it gives every setting a flag, a
range and a sentence that the CLI, the window and fit() all use."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli.commands import build_parser, run_cli
from core.train.config import AugmentConfig, TrainConfig
from core.train.settings import find_setting, flat_values, replace_values, setting_fields
from core.train.unlabelled_config import UnlabelledConfig
from core.train.validation import config_problems

ROOT = Path(__file__).resolve().parents[3]
USER_FACING = [item for item in setting_fields(TrainConfig) if item.setting.in_window]


@pytest.fixture(scope="module")
def train_help() -> str:
    """`python main.py train --help`, as a user runs it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "train", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_config_field_is_a_setting_or_a_folder():
    plain = {f.name for f in dataclasses.fields(TrainConfig)} - {"augment", "unlabelled"}
    keyed = {item.key for item in setting_fields(TrainConfig)}
    augment = {f"augment.{f.name}" for f in dataclasses.fields(AugmentConfig)}
    unlabelled = {f"unlabelled.{f.name}" for f in dataclasses.fields(UnlabelledConfig)}
    # data_dir, out_dir and resume are the command's own arguments (DATA_DIR, --out, --resume).
    assert plain - keyed == {"data_dir", "out_dir", "resume"}
    assert augment <= keyed and unlabelled <= keyed


@pytest.mark.parametrize("item", USER_FACING, ids=lambda item: item.key)
def test_every_user_facing_setting_has_a_flag_in_train_help(train_help, item):
    assert item.setting.help and item.setting.label
    assert f"{item.flag} " in train_help or f"{item.flag}," in train_help
    assert f"Window: {item.setting.label}." in " ".join(train_help.split())


def test_train_help_lists_the_window_only_settings_of_issue_9(train_help):
    text = train_help
    for flag in (
        "--schedule",
        "--loss",
        "--label-smoothing",
        "--hflip",
        "--vflip",
        "--random-crop",
        "--crop-scale-min",
        "--rotation",
        "--color-jitter",
        "--trivial-augment",
        "--early-stopping",
        "--class-balanced",
        "--mixed-precision",
    ):
        assert flag in text


def test_defaults_pass_and_every_default_is_inside_its_own_range():
    assert config_problems(TrainConfig(data_dir="d", out_dir="o")) == []


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"lr": math.inf}, "Learning rate (--lr) must be from 1e-07 to 10, or auto; it is inf."),
        ({"lr": math.nan}, "(--lr) must be from 1e-07 to 10"),
        ({"seed": 2**64}, "Seed (--seed) must be a whole number from 0 to 2,147,483,647"),
        ({"epochs": 10**9}, "Epochs (--epochs) must be a whole number from 1 to 10,000"),
        ({"epochs": "many"}, "Epochs (--epochs) must be"),  # a hand-edited config.json
        ({"epochs": True}, "Epochs (--epochs) must be"),
        ({"loss": "hinge"}, "Loss (--loss) must be one of cross_entropy, focal"),
        ({"image_size": 8}, "Image size (--image-size) must be a whole number from 16"),
        ({"early_stopping_patience": -1}, "Early stopping (--early-stopping)"),
        ({"freeze_backbone": True}, "turn on Start from ImageNet weights (--pretrained)"),
    ],
)
def test_bad_values_get_one_sentence_naming_control_and_flag(changes, words):
    config = replace_values(TrainConfig(data_dir="d", out_dir="o"), changes)
    problems = config_problems(config)
    assert len(problems) == 1 and words in problems[0], problems


def test_auto_values_are_allowed_outside_the_range():
    config = replace_values(
        TrainConfig(data_dir="d", out_dir="o"),
        {"lr": 0.0, "image_size": 0, "cpu_threads": 0, "num_workers": -1, "cache_memory_mb": 0},
    )
    assert config_problems(config) == []


def test_architecture_limits_name_the_control_and_the_flag():
    config = TrainConfig(data_dir="d", out_dir="o", arch="vit_b_16", image_size=64)
    facts = {"fixed_image_size": 224, "min_image_size": 224, "weights": "cached"}
    assert config_problems(config, facts) == [
        "vit_b_16 only works with 224-pixel images: set Image size (--image-size) to 224 or auto."
    ]


def test_flat_values_and_replace_values_round_trip():
    config = replace_values(TrainConfig(data_dir="d", out_dir="o"), {"augment.vflip": True})
    assert config.augment.vflip and flat_values(config)["augment.vflip"] is True
    assert find_setting(TrainConfig, "augment.vflip").flag == "--vflip"


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--lr", "inf"], "Learning rate (--lr) must be from 1e-07 to 10, or auto; it is inf."),
        (["--lr", "nan"], "Learning rate (--lr) must be"),
        (["--seed", str(2**64)], "Seed (--seed) must be a whole number from 0 to 2,147,483,647"),
        (["--epochs", "1e9"], "Epochs (--epochs) must be a whole number from 1 to 10,000"),
        (["--label-smoothing", "0.7"], "Label smoothing (--label-smoothing) must be from 0"),
    ],
)
def test_cli_refuses_bad_values_before_creating_the_run_folder(tmp_path, capsys, flags, words):
    data = tmp_path / "data"
    (data / "a").mkdir(parents=True)
    run = tmp_path / "run"
    assert run_cli(["train", str(data), "--out", str(run), *flags]) == 1
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1, err
    assert not run.exists()


def test_cli_word_auto_and_whole_number_spellings(tmp_path):
    args = build_parser().parse_args(
        ["train", "d", "--out", "o", "--lr", "auto", "--epochs", "1e2", "--early-stopping", "off"]
    )
    from core.cli.train_flags import given_settings

    assert given_settings(args) == {"lr": 0.0, "epochs": 100, "early_stopping_patience": 0}


def test_cli_says_what_a_non_number_should_be(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["train", "d", "--out", "o", "--epochs", "many"])
    assert exit_info.value.code == 2
    assert "Epochs (--epochs) must be a whole number from 1 to 10,000, or auto; got 'many'." in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "flag, text, words",
    [
        ("--epochs", "0", "Epochs (--epochs) must be a whole number from 1 to 10,000, or auto"),
        ("--lr", "0", "Learning rate (--lr) must be from 1e-07 to 10, or auto"),
        (
            "--image-size",
            "0",
            "Image size (--image-size) must be a whole number from 16 to 1,024 px, or auto",
        ),
        ("--cpu-threads", "0", "(--cpu-threads) must be a whole number from 1 to 1,024, or auto"),
        ("--num-workers", "-1", "(--num-workers) must be a whole number from 0 to 256, or auto"),
    ],
)
def test_the_number_that_stands_for_auto_is_refused_on_the_command_line(capsys, flag, text, words):
    # "--epochs 0" trained 23 epochs (auto) although the help says "from 1 to 10,000".
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "d", "--out", "o", flag, text])
    assert f"{words}; got '{text}'." in capsys.readouterr().err


def test_zero_stays_a_value_where_it_is_in_range():
    args = build_parser().parse_args(
        ["train", "d", "--out", "o", "--early-stopping", "0", "--num-workers", "0"]
    )
    from core.cli.train_flags import given_settings

    assert given_settings(args) == {"early_stopping_patience": 0, "num_workers": 0}
