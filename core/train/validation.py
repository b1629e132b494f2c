"""What must be fixed before a run starts, in the same words for the window and the CLI.

`config_problems(config)` is THE check: the window lists its result live under the settings,
`python main.py train` refuses with it, and core.train.loop.fit runs it again. Call it (or
`check_config`) before creating the run folder: nothing here touches the disk except to see
whether the weights file and unlabelled folder exist and, for a resume, to read the run's
config.json. Each message names the window's control and the CLI flag, "Image size
(--image-size)", and says what would fit. Plain Python, no torch."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from core.errors import ConfigError
from core.files.run_lock import LOCK_FILE
from core.train.config import AUTO, WEIGHTS_EXTENSIONS, TrainConfig, named
from core.train.launch import ALL_GPUS
from core.train.resume_rules import resume_problems, unlabelled_gone
from core.train.settings import iter_problems
from core.train.unlabelled_config import UNLABELLED_ON_ALL_GPUS, unlabelled_problems


def config_problems(config: TrainConfig, arch_facts: Mapping[str, Any] | None = None) -> list[str]:
    """Every problem of `config`, one sentence each (empty when it can train).

    `arch_facts`: what is known about `config.arch` ("fixed_image_size", "min_image_size",
    "weights": cached/downloadable/unavailable/none, "weights_path" of unavailable ones), from
    core.models.registry.arch_facts or the window's torch loader; without it the
    architecture's own limits are not checked."""
    found: list[str] = []
    if not config.data_dir:
        found.append("Choose a dataset folder.")
    found += iter_problems(config)
    found += _weights_problems(config)
    if config.resume:
        found += resume_problems(config)
    folder, name = config.unlabelled.folder, named("unlabelled.folder")
    gone = unlabelled_gone(config)  # a resumed run's own folder, deleted since
    found += [gone] if gone else unlabelled_problems(folder, config.data_dir, name)
    if folder and config.device == ALL_GPUS:
        found.append(UNLABELLED_ON_ALL_GPUS)
    if arch_facts and config.arch != AUTO:
        found += _arch_problems(config, arch_facts)
    return found


def check_config(config: TrainConfig, arch_facts: Mapping[str, Any] | None = None) -> None:
    """Raise ConfigError (a LoupeError: one readable message) when config_problems finds any."""
    problems = config_problems(config, arch_facts)
    if problems:
        raise ConfigError(" ".join(problems))


def _weights_problems(config: TrainConfig) -> list[str]:
    found: list[str] = []
    pretrained, weights, freeze = (
        named("pretrained"),
        named("weights_file"),
        named("freeze_backbone"),
    )
    if config.freeze_backbone and not (config.pretrained or config.weights_file):
        found.append(
            f"{freeze} needs pretrained weights, since a frozen random backbone cannot "
            f"learn: turn on {pretrained} or choose a {weights}."
        )
    if config.pretrained and config.weights_file:
        found.append(f"Use either {pretrained} or a {weights}, not both.")
    # A resume reads last.ckpt, not the file the run started from (which may be gone since);
    # another file is refused by core.train.resume_rules.
    if isinstance(config.weights_file, str) and config.weights_file and not config.resume:
        path = os.path.expanduser(config.weights_file)
        if config.arch == AUTO:
            found.append(
                f"A {weights} fits one architecture: choose it in {named('arch')} instead of "
                "'auto'."
            )
        if not os.path.isfile(path):
            found.append(f"Weights file not found: {config.weights_file}")
        elif os.path.splitext(path)[1].lower() not in WEIGHTS_EXTENSIONS:
            found.append(
                f"{config.weights_file}: a {weights} must be a "
                f"{', '.join(WEIGHTS_EXTENSIONS)} file."
            )
    return found


def _arch_problems(config: TrainConfig, facts: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    arch, size = config.arch, config.image_size
    fixed = facts.get("fixed_image_size")
    minimum = int(facts.get("min_image_size") or 0)
    if isinstance(size, int) and size > 0:
        if fixed and size != fixed:
            found.append(
                f"{arch} only works with {fixed}-pixel images: set {named('image_size')} to "
                f"{fixed} or auto."
            )
        elif size < minimum:
            found.append(
                f"{arch} needs images of at least {minimum} pixels: raise "
                f"{named('image_size')} or set it to auto."
            )
    status = facts.get("weights")
    if config.pretrained and status == "unavailable":
        folder, name = os.path.split(facts.get("weights_path") or "")
        copy = f"copy {name} into {folder}, " if name else ""
        found.append(
            f"ImageNet weights for {arch} are not downloaded and this computer is offline: "
            f"{copy}choose a {named('weights_file')}, or turn off {named('pretrained')}."
        )
    if config.pretrained and status == "none":
        found.append(f"{arch} has no ImageNet weights: turn off {named('pretrained')}.")
    return found


# What file managers leave in any folder they show: not the user's files.
_FOLDER_LITTER = frozenset({LOCK_FILE, ".DS_Store", "Thumbs.db", "desktop.ini"})


def out_folder_problem(out_dir: str) -> str:
    """Why a new run cannot be written into `out_dir` ("" when it can): a new run writes
    config.json, metrics.csv, run.json and more there, so the folder must be new or empty.
    Reads the folder, creates nothing; run it before the run folder is locked (a lock file
    alone does not count: another run holding it is said by the lock)."""
    folder = os.path.abspath(out_dir)
    if not os.path.isdir(folder):
        return ""  # a new folder (a file there is refused by the lock, in its words)
    try:
        names = sorted(n for n in os.listdir(folder) if n not in _FOLDER_LITTER)
    except OSError:
        return ""  # unreadable: the lock says why, in its words
    if not names:
        return ""
    if "run.json" in names or "last.ckpt" in names:  # a run's own record or checkpoint
        return (
            f"{folder} already holds a run: continue it with --resume (Runs page: Resume), "
            "or train into a new folder."
        )
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return (
        f"{folder} already holds other files ({shown}): a run writes config.json, run.json "
        "and more into its folder, so train into a new or empty folder."
    )
