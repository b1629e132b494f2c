"""What a resume keeps and what it may change. A run is its network, the weights it started
from and the images that validate it (a hash of the seed and each file's path, under the
Validation share: core.data.datasets._split_key); a resume that changed those would train
another model, or compare its "best" epochs on another validation set. The rest (how long,
how fast, how hard) may change.

Plain Python, no torch: core.train.validation checks a resume against the run's config.json
with the other settings, before anything is written; core.train.resume checks it again
against last.ckpt."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from core.train.config import AUTO, TrainConfig, named

_MODEL = "a resume continues the run's own network (start a new run for a different model)"
_START = "a resume continues from the run's last.ckpt, not from the weights it started from"
_SPLIT = (
    "a resume must validate on the run's own validation images, which the seed and "
    "Validation share choose"
)
# Each setting a resume keeps, and why.
KEPT: dict[str, str] = {
    "arch": _MODEL,
    "image_size": _MODEL,
    "freeze_backbone": _MODEL,
    "pretrained": _START,
    "weights_file": _START,
    "seed": _SPLIT,
    "val_split": _SPLIT,
}
MAY_CHANGE = (
    "A resume may change Epochs, Learning rate, Batch size, the optimizer and its schedule, "
    "augmentation, loss, early stopping, the unlabelled images, and the device, precision, "
    "threads, workers and cache; start a new run to change the others."
)


def left_to_the_run(cfg: TrainConfig, name: str) -> bool:
    """Whether `cfg` leaves the kept setting `name` to the run's own value: an architecture
    or image size on auto (the network with its start weights), no weights file."""
    if name in ("arch", "pretrained"):
        return cfg.arch == AUTO
    if name == "image_size":
        return cfg.image_size == 0
    if name == "weights_file":
        return not cfg.weights_file
    return False


def changed_on_resume(saved: Mapping[str, Any], cfg: TrainConfig, run_dir: str) -> list[str]:
    """A sentence for each kept setting that `cfg` changes from `saved`, the run's own config
    (settings it does not record, or that `cfg` leaves to the run, are not compared)."""
    found = []
    for name, why in KEPT.items():
        if name not in saved or left_to_the_run(cfg, name):
            continue
        now, then = getattr(cfg, name), saved[name]
        if now == then or (name == "weights_file" and not then and not now):
            continue
        found.append(
            f"Cannot resume {run_dir} with {named(name)} {_shown(now)}: it was trained with "
            f"{_shown(then)}, and {why}."
        )
    return found + [MAY_CHANGE] if found else []


def saved_config(run_dir: str) -> dict[str, Any]:
    """The run's config.json as it is ({} when missing or unreadable: reading the run for
    the resume says why, in its own words)."""
    try:
        with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def resume_problems(cfg: TrainConfig) -> list[str]:
    """What stops `cfg` (resume=True) from continuing its run, from the run's config.json."""
    return changed_on_resume(saved_config(cfg.out_dir), cfg, cfg.out_dir)


def gone_unlabelled_folder(cfg: TrainConfig) -> str:
    """The unlabelled folder a resume would learn from, when it is the run's own and has gone
    since ("" when it has not, or when `cfg` is no resume or names another folder)."""
    folder = cfg.unlabelled.folder
    if not cfg.resume or not folder or os.path.isdir(os.path.expanduser(folder)):
        return ""
    saved = saved_config(cfg.out_dir).get("unlabelled")
    then = saved.get("folder") if isinstance(saved, dict) else None
    # config.json holds it absolute (older runs: as typed); `folder` is as typed now
    if not isinstance(then, str) or not then or _absolute(then) != _absolute(folder):
        return ""
    return folder


def _absolute(path: str) -> str:
    return os.path.normpath(os.path.abspath(os.path.expanduser(path)))


def unlabelled_gone(cfg: TrainConfig) -> str:
    """The sentence for a resume whose unlabelled folder, the run's own, has gone since ("" when
    it has not; the window asks instead: gui.runs.resume_questions)."""
    folder = gone_unlabelled_folder(cfg)
    if not folder:
        return ""
    return (
        f"This run learnt from unlabelled images in {folder}, which is gone: give --unlabelled "
        "NEWDIR, or --unlabelled '' to continue without them."
    )


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return repr(value) if isinstance(value, str) else str(value)
