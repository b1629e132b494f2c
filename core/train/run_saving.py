"""What a run writes after each validation: the best model with its model.json, the
resumable last checkpoint, and the epoch's records (history and evaluation.json)."""

from __future__ import annotations

import dataclasses
import math
import os

import torch

from core.device import device_rng_state
from core.events import ClassMetrics
from core.files.run_folder import RunFolder
from core.infer.calibration import Calibration
from core.models.checkpoints import LAST_CKPT, save_checkpoint, save_model
from core.train.config import TrainConfig, to_dict
from core.train.evaluation import Evaluation
from core.train.setup import Setup


def model_meta(
    s: Setup,
    cfg: TrainConfig,
    epoch: int | None,
    val_loss: float | None,
    val_acc: float | None,
    calibration: Calibration | None = None,
) -> dict:
    """model.json: what a saved model needs to be used without its run folder."""
    extra = {"calibration": calibration.to_dict()} if calibration is not None else {}
    return dict(
        arch=cfg.arch,
        num_classes=len(s.class_names),
        class_names=s.class_names,
        image_size=cfg.image_size,
        resize_mode="crop",
        normalization=dict(mean=list(s.mean), std=list(s.std)),
        best=dict(epoch=epoch, val_acc=val_acc, val_loss=finite_or_none(val_loss)),
        param_count=s.param_count,
        dataset=os.path.abspath(cfg.data_dir),
        **extra,
    )


def save_best(
    s: Setup,
    cfg: TrainConfig,
    folder: RunFolder,
    epoch: int | None,
    val_loss: float | None,
    val_acc: float | None,
    calibration: Calibration | None = None,
) -> None:
    if not folder.writable:  # another process of a data-parallel run: rank 0 saves
        return
    save_model(s.model, folder.path, model_meta(s, cfg, epoch, val_loss, val_acc, calibration))


def save_last(
    s: Setup,
    cfg: TrainConfig,
    folder: RunFolder,
    next_epoch: int,
    best_acc: float | None,
    best_epoch: int | None,
) -> None:
    """last.ckpt: everything a resume needs to continue exactly from `next_epoch`."""
    if not folder.writable:
        return
    save_checkpoint(
        folder.file(LAST_CKPT),
        dict(
            format="loupe-checkpoint",
            next_epoch=next_epoch,
            global_step=s.global_step,
            model=s.model.state_dict(),
            optimizer=s.optimizer.state_dict(),
            scheduler=s.scheduler.state_dict(),
            scaler=s.scaler.state_dict() if s.scaler is not None else {},
            generator=s.gen.get_state(),
            torch_rng=torch.get_rng_state(),  # dropout masks and TrivialAugment
            cuda_rng=device_rng_state(s.device),  # dropout masks on a GPU
            best_acc=best_acc,
            best_epoch=best_epoch,
            class_names=s.class_names,
            config=to_dict(cfg),
            **({"unlabelled": s.semi.state()} if s.semi is not None else {}),
        ),
    )


def record_epoch(
    folder: RunFolder,
    epoch: int,
    train_loss: float,
    train_acc: float,
    ev: Evaluation,
    lr: float,
    seconds: float,
    class_names: list[str],
    per_class: list[ClassMetrics],
    confusion: list[list[int]],
    extra: dict[str, float] | None = None,
) -> None:
    """The epoch's line in the history (`extra`: more columns, e.g. a semi-supervised run's
    share of confident unlabelled images) and the latest evaluation.json."""
    folder.add_epoch(
        dict(
            epoch=epoch,
            train_loss=train_loss,
            train_acc=train_acc,
            val_loss=ev.loss,
            val_acc=ev.accuracy,
            lr=lr,
            seconds=round(seconds, 3),
            **(extra or {}),
        )
    )
    folder.write_json(
        "evaluation.json",
        dict(
            epoch=epoch,
            class_names=class_names,
            confusion=confusion,
            per_class=[dataclasses.asdict(m) for m in per_class],
            calibration=ev.calibration.to_dict() if ev.calibration else None,
        ),
    )


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: an fp16 overflow in the validation loss must not fail the save."""
    return value if value is not None and math.isfinite(value) else None
