"""Continue a run from its last.ckpt, safely: what would change the model, its start or its
validation images is refused with a one-line reason before anything is written; the schedule restarts from the epoch the
run resumes at, with the learning rate now asked for."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from core.device import restore_device_rng
from core.errors import ConfigError, LoupeError
from core.train.config import TrainConfig, named
from core.train.optim import lr_factor
from core.train.resume_rules import changed_on_resume
from core.words import format_count


@dataclass
class ResumePoint:
    start_epoch: int
    global_step: int
    best_acc: float | None
    best_epoch: int | None
    notes: list[str]


def compatible_config(ckpt: dict[str, Any], cfg: TrainConfig, run_dir: str) -> TrainConfig:
    """The config to resume with: values left on auto take what the run was trained with
    (Epochs too: 'auto' on resume is the run's own number); a change to what a resume keeps
    (core.train.resume_rules), or an epoch count already trained, is refused."""
    saved = ckpt.get("config") or {}
    keep = {}
    if cfg.arch == "auto" and saved.get("arch"):
        keep["arch"] = saved["arch"]
        keep["pretrained"] = bool(saved.get("pretrained", cfg.pretrained))
    if cfg.image_size == 0 and saved.get("image_size"):
        keep["image_size"] = int(saved["image_size"])
    if not cfg.weights_file and "weights_file" in saved:
        keep["weights_file"] = saved["weights_file"]
    epochs_auto = cfg.epochs == 0
    if epochs_auto and saved.get("epochs"):
        keep["epochs"] = int(saved["epochs"])
    if cfg.lr == 0 and saved.get("lr"):
        keep["lr"] = float(saved["lr"])
    cfg = dataclasses.replace(cfg, **keep)
    if cfg.arch == "simple_cnn" and _model_format(run_dir) == 1:
        raise ConfigError(
            f"Cannot resume {run_dir}: it was trained with an earlier simple_cnn (a padded first "
            "convolution). Its model still classifies; start a new run to train further."
        )
    changed = changed_on_resume(saved, cfg, run_dir)
    if changed:
        raise ConfigError(" ".join(changed))
    trained = int(ckpt.get("next_epoch", 0))
    if "next_epoch" in ckpt and trained >= cfg.epochs:
        done = f"{run_dir} has already trained {format_count(trained, 'epoch')}"
        if epochs_auto:
            raise ConfigError(
                f"{done}, and {named('epochs')} auto on resume means the run's own number, "
                f"{cfg.epochs}: to extend it, give a number above {trained} (e.g. {trained + 5})."
            )
        raise ConfigError(
            f"{done}: to extend it, raise {named('epochs')} above that (e.g. {trained + 5})."
        )
    return cfg


def restore(
    ckpt: dict[str, Any],
    cfg: TrainConfig,
    class_names: list[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
    scaler: Any,
    gen: torch.Generator,
    steps_per_epoch: int,
    run_dir: str,
) -> ResumePoint:
    if ckpt.get("class_names") != class_names:
        raise LoupeError(
            f"Cannot resume {run_dir}: the dataset's classes changed "
            f"({ckpt.get('class_names')} then, {class_names} now)."
        )
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError) as exc:
        raise LoupeError(f"Cannot resume {run_dir}: its weights do not fit {cfg.arch}.") from exc
    notes: list[str] = []
    saved = ckpt.get("config") or {}
    if saved.get("optimizer", cfg.optimizer) == cfg.optimizer:
        load_optimizer_state(optimizer, ckpt["optimizer"])
    else:
        notes.append(
            f"Optimizer changed from {saved.get('optimizer')} to {cfg.optimizer}: "
            "its state (momentum, averages) starts afresh."
        )
    if scaler is not None and ckpt.get("scaler"):
        scaler.load_state_dict(ckpt["scaler"])
    gen.set_state(ckpt["generator"])
    if "torch_rng" in ckpt:
        torch.set_rng_state(ckpt["torch_rng"])
    restore_device_rng(ckpt.get("cuda_rng"), next(model.parameters()).device)
    start_epoch = int(ckpt["next_epoch"])  # below cfg.epochs: compatible_config checked it
    # The schedule is a function of the step; its position follows the epoch the run resumes
    # at (not a saved step count: the batch size, and so the steps per epoch, may have
    # changed), and its base is the learning rate asked for now.
    global_step = start_epoch * steps_per_epoch
    total = steps_per_epoch * cfg.epochs
    for group in optimizer.param_groups:
        group["initial_lr"] = cfg.lr
        group["lr"] = cfg.lr * lr_factor(cfg, global_step, total, steps_per_epoch)
    scheduler.base_lrs = [cfg.lr] * len(optimizer.param_groups)
    scheduler.last_epoch = global_step
    return ResumePoint(
        start_epoch, global_step, ckpt.get("best_acc"), ckpt.get("best_epoch"), notes
    )


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """Load the saved moments but keep the kernels built for this device: a checkpoint
    written by a fused optimizer on a GPU may be resumed on the CPU, and one written on the
    CPU should get the fused kernels on a GPU (load_state_dict would take the saved flag)."""
    fused = [group.get("fused") for group in optimizer.param_groups]
    optimizer.load_state_dict(state)
    for group, flag in zip(optimizer.param_groups, fused, strict=True):
        if "fused" in group:  # RMSprop has no fused kernel (nor the key)
            group["fused"] = flag
        for param in group["params"]:
            step = optimizer.state.get(param, {}).get("step")
            if torch.is_tensor(step):
                # Fused kernels keep the step count beside the parameter, the others on the CPU.
                where = param.device if flag else torch.device("cpu")
                optimizer.state[param]["step"] = step.to(dtype=torch.float32, device=where)


def _model_format(run_dir: str) -> int | None:
    """The format_version of the run's model.json (None when it has none or it is unreadable)."""
    try:
        with open(os.path.join(run_dir, "model.json"), encoding="utf-8") as f:
            version = json.load(f).get("format_version", 1)
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, int) else None
