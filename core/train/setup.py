"""Everything a run needs before its first step: scan, defaults, model, data, optimizer,
and (when resuming) the state from last.ckpt. A generator, so progress reaches the user.
The dataset's images themselves (scan, cache or stream) come from core.train.labelled_data."""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from core.control import RunControl
from core.data.batches import CachedSource, StreamingSource
from core.data.datasets import DatasetReport, Sample
from core.device import (
    Precision,
    auto_device_note,
    choose_precision,
    configure_backends,
    describe_device,
    resolve_device,
    use_device,
)
from core.errors import LoupeError
from core.events import LogMessage, RunStarted, TrainEvent
from core.files.run_folder import RunFolder
from core.models.catalog import USABLE_WEIGHTS
from core.models.checkpoints import LAST_CKPT, MODEL_WEIGHTS, load_checkpoint
from core.models.registry import (
    arch_info,
    build_model,
    count_parameters,
    normalization,
    weights_status,
)
from core.train import defaults
from core.train.config import TrainConfig, to_dict
from core.train.cpu_tuner import CpuTuner, SpeedMeter, cpu_candidates
from core.train.defaults import resolve_auto
from core.train.distributed import Ranks
from core.train.evaluation import make_thumbnails, pick_sample_indices
from core.train.labelled_data import labelled_sources, scan_labelled
from core.train.optim import build_loss, build_optimizer, make_scheduler
from core.train.resume import compatible_config, restore
from core.train.semi_supervised import SemiSupervised, start_semi_supervised
from core.train.tuner_memory import TuningKey, build_tuner
from core.train.verdict import describe_plan, resume_plan


@dataclass
class Setup:
    cfg: TrainConfig
    device: torch.device
    precision: Precision
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    scaler: Any
    criterion: nn.Module
    gen: torch.Generator
    train: CachedSource | StreamingSource
    val: CachedSource | StreamingSource
    class_names: list[str]
    steps_per_epoch: int
    eval_batch_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    sample_indices: list[int]
    thumbnails: list[np.ndarray]
    start_epoch: int
    global_step: int
    best_acc: float | None
    best_epoch: int | None
    param_count: int
    tuner: CpuTuner
    speed: SpeedMeter
    started_event: RunStarted
    report: DatasetReport  # updated when streaming finds more unreadable files
    t_start: float = 0.0  # when training proper began (perf_counter)
    # The dataset's test split: evaluated once, with the best model, after training.
    test_samples: list[Sample] = field(default_factory=list)
    # What the training step calls under torchrun: DistributedDataParallel around `model`
    # (core.train.data_parallel); None alone.
    parallel: nn.Module | None = None
    semi: SemiSupervised | None = None  # learning from unlabelled images too


def prepare(
    cfg: TrainConfig, folder: RunFolder, control: RunControl, ranks: Ranks | None = None
) -> Generator[TrainEvent, None, Setup | None]:
    ranks = ranks or Ranks()
    ckpt = None
    if cfg.resume:
        ckpt = load_checkpoint(folder.file(LAST_CKPT))
        cfg = compatible_config(ckpt, cfg, folder.path)
    elif any(os.path.exists(folder.file(n)) for n in (LAST_CKPT, MODEL_WEIGHTS)):
        raise LoupeError(
            f"{folder.path} already holds a trained run: continue it with --resume, "
            "or train into a new folder."
        )
    scan = yield from scan_labelled(cfg)
    report = scan.report
    class_names = list(report.class_names)
    device = ranks.local_device(resolve_device(cfg.device))
    if device.type == "cpu" and cfg.device.strip().lower() in ("", "auto"):
        note = auto_device_note()
        if note:
            yield LogMessage("warning", note)
    use_device(device)  # prepare runs on the training thread: the current device is per thread
    configure_backends(device)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)

    arch_was_auto = cfg.arch == "auto"
    epochs_were_auto = cfg.epochs == 0
    cfg, notes = resolve_auto(
        cfg,
        report,
        device.type,
        lambda a: weights_status(a) in USABLE_WEIGHTS,
        train_images=len(scan.train),
    )
    for note in notes:
        yield LogMessage("info", note)
    plan = notes[0] if arch_was_auto and notes else _chosen_plan(cfg, len(scan.train))
    if not arch_was_auto and ckpt is None:  # a resumed run says so instead (below)
        yield LogMessage("warning" if "only guess" in plan else "info", plan)
    # Resuming loads every weight from last.ckpt: no need (nor network) for the start weights.
    # Under torchrun, DistributedDataParallel copies rank 0's weights to the other processes:
    # only rank 0 downloads or reads the start weights (one download, not one per GPU).
    start_weights = ckpt is None and ranks.writer
    if cfg.pretrained and start_weights:
        yield LogMessage("info", f"Loading ImageNet weights for {cfg.arch} ...")
    model = build_model(
        cfg.arch,
        len(class_names),
        cfg.pretrained and start_weights,
        cfg.weights_file if start_weights else None,
        cfg.freeze_backbone,
    )
    param_count = count_parameters(model)
    precision = choose_precision(device, cfg.mixed_precision)
    model = model.to(device).to(memory_format=torch.channels_last)

    sources = yield from labelled_sources(cfg, scan, device, control, ranks.local_world)
    if sources is None:
        return None
    train, val = sources
    if len(train) == 0 or len(val) == 0:
        raise LoupeError(f"{cfg.data_dir}: no readable images left for training or validation.")
    grayscale = isinstance(train, CachedSource) and train.is_grayscale()
    cfg, adapted = defaults.adapt_augmentation(cfg, grayscale)
    for note in adapted:
        yield LogMessage("info", note)
    ranks.check(cfg.batch_size, len(train), cfg.data_dir)
    steps_per_epoch = ranks.steps_per_epoch(len(train), cfg.batch_size)
    optimizer = build_optimizer(model.parameters(), cfg, cfg.lr)
    scheduler = make_scheduler(optimizer, cfg, steps_per_epoch)
    train_counts = [report.counts.get("train", {}).get(c, 0) for c in class_names]
    criterion = build_loss(cfg, train_counts).to(device)
    scaler = torch.amp.GradScaler(device.type) if precision.use_scaler else None

    start_epoch, global_step, best_acc, best_epoch = 0, 0, None, None
    shown_plan = plan
    if ckpt is not None:
        point = restore(
            ckpt,
            cfg,
            class_names,
            model,
            optimizer,
            scheduler,
            scaler,
            gen,
            steps_per_epoch,
            folder.path,
        )
        start_epoch, global_step = point.start_epoch, point.global_step
        best_acc, best_epoch = point.best_acc, point.best_epoch
        for note in point.notes:
            yield LogMessage("warning", note)
        folder.load_history(start_epoch)
        # The page shows this, not the plan of a new run (run.json keeps that one).
        shown_plan = resume_plan(folder.path, start_epoch, cfg.epochs, cfg.arch)
        yield LogMessage("info", shown_plan)
    semi = yield from start_semi_supervised(
        cfg, scan, train, model, optimizer, ckpt, device, control
    )
    if control.stop_requested:
        return None

    folder.write_json("config.json", ranks.run_record(cfg))
    folder.write_json("dataset.json", report.to_dict())
    dev_name = describe_device(device)
    folder.update_summary(
        plan=folder.summary.get("plan", plan) if ckpt is not None else plan,  # as it started
        status="running",
        dataset=os.path.abspath(cfg.data_dir),
        arch=cfg.arch,
        epochs=cfg.epochs,
        image_size=cfg.image_size,
        class_names=class_names,
        device=dev_name,
        best_val_acc=best_acc,
        best_epoch=best_epoch,
        epochs_completed=start_epoch,
        world_size=ranks.world,
        **({"unlabelled": semi.summary()} if semi else {}),
    )
    val_labels = [
        int(v) for v in (val.labels.tolist() if torch.is_tensor(val.labels) else val.labels)
    ]
    sample_indices = pick_sample_indices(
        val_labels, cfg.prediction_samples, torch.Generator().manual_seed(cfg.seed)
    )
    thumbnails = make_thumbnails(val.images_at(sample_indices)) if sample_indices else []
    # On the CPU, thread count and bf16 are chosen by timing the first steps (core.train.cpu_tuner).
    candidates = []
    if device.type == "cpu":
        candidates = ranks.fixed_cpu_setting(cfg) or cpu_candidates(
            cfg.cpu_threads, cfg.mixed_precision
        )
    key = TuningKey(cfg.arch, cfg.image_size, cfg.batch_size, cfg.cpu_threads, cfg.mixed_precision)
    tuner, tuner_note = build_tuner(candidates, precision, key, cfg.retune_cpu)
    if tuner_note:
        yield LogMessage("info", tuner_note)
    data_mode = train.mode
    # The precision the steps will use: the tuner's (remembered) choice, not the setting's.
    # Only when the candidates differ in it: with mixed precision off, only threads are timed.
    timed = tuner.enabled and len({c.precision for c in tuner.candidates}) > 1
    precision_words = "precision timed in the first steps" if timed else tuner.precision.label
    yield LogMessage(
        "info",
        f"{cfg.arch}: {param_count:,} parameters on {dev_name}, {precision_words}, "
        f"{cfg.image_size} px, batch {cfg.batch_size}{ranks.batch_words()}, lr {cfg.lr:g}.",
    )
    started = RunStarted(
        run_dir=folder.path,
        config=to_dict(cfg),
        dataset=report.to_dict(),
        class_names=class_names,
        device=dev_name,
        arch=cfg.arch,
        param_count=param_count,
        train_images=len(train),
        val_images=len(val),
        steps_per_epoch=steps_per_epoch,
        start_epoch=start_epoch,
        data_mode=data_mode,
        plan=shown_plan,
        epochs_are_a_ceiling=defaults.stops_on_plateau(
            defaults.is_small_from_scratch(cfg, report),
            cfg.early_stopping_patience,
            epochs_were_auto,
        ),
    )
    mean, std = normalization(cfg.arch)
    return Setup(
        cfg=cfg,
        device=device,
        precision=precision,
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        scaler=scaler,
        criterion=criterion,
        gen=gen,
        train=train,
        val=val,
        class_names=class_names,
        steps_per_epoch=steps_per_epoch,
        eval_batch_size=cfg.batch_size * 2,
        mean=mean,
        std=std,
        sample_indices=sample_indices,
        thumbnails=thumbnails,
        start_epoch=start_epoch,
        global_step=global_step,
        best_acc=best_acc,
        best_epoch=best_epoch,
        param_count=param_count,
        tuner=tuner,
        speed=SpeedMeter(),
        started_event=started,
        report=report,
        test_samples=list(scan.test),
        semi=semi,
    )


def _chosen_plan(cfg: TrainConfig, train_images: int) -> str:
    """The path of a run whose architecture the user chose (auto explains its own choice)."""
    return describe_plan(
        cfg.arch,
        cfg.pretrained,
        cfg.weights_file,
        defaults.weights_words(cfg.arch),
        arch_info(cfg.arch).source,
        train_images,
    )
