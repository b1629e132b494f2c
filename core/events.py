"""Typed events yielded by `core.train.loop.fit`. Only plain data: floats, ints, strings,
lists and small uint8 numpy arrays, so they can cross threads (never CUDA tensors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

RunStatus = Literal["completed", "stopped", "early_stopped", "failed"]


@dataclass(frozen=True)
class RunStarted:
    run_dir: str
    config: dict[str, Any]  # the full resolved config (auto values filled in)
    dataset: dict[str, Any]  # the dataset report (core.data.datasets.DatasetReport.to_dict())
    class_names: list[str]
    device: str  # human words: "NVIDIA RTX 4090 (24 GB)" or "CPU (8 threads)"
    arch: str
    param_count: int
    train_images: int
    val_images: int
    steps_per_epoch: int
    start_epoch: int  # > 0 when resuming
    data_mode: str  # "cache" (decoded once into memory) or "stream" (DataLoader)
    # Which path the run takes and why, in one or two sentences ("Fine-tuning ... because ...").
    plan: str = ""
    # Epochs left on auto where the run stops once validation stops improving: config's
    # "epochs" is then a ceiling, shown as "up to N" (core.train.plateau).
    epochs_are_a_ceiling: bool = False


@dataclass(frozen=True)
class LogMessage:
    level: Literal["info", "warning", "error"]
    text: str


@dataclass(frozen=True)
class StepEnded:
    epoch: int  # 0-based
    step: int  # 0-based within the epoch
    global_step: int  # 0-based over the whole run
    steps_per_epoch: int
    loss: float  # mean training loss since the previous StepEnded
    lr: float
    images_per_second: float  # since the previous StepEnded, pauses left out
    eta_seconds: float  # whole run, validation included once an epoch has been validated
    # The CPU tuner is still timing thread counts and precisions: the speed and the ETA are
    # not yet those of the run (say "measuring…", not a figure that will jump).
    measuring: bool = False


@dataclass(frozen=True)
class ClassMetrics:
    name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EpochEnded:
    epoch: int  # 0-based
    epochs: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    lr: float
    seconds: float
    per_class: list[ClassMetrics]
    confusion: list[list[int]]  # confusion[true][predicted]
    is_best: bool
    best_val_acc: float


@dataclass(frozen=True)
class PredictionSample:
    image: np.ndarray  # HxWx3 uint8 thumbnail
    path: str
    true_index: int
    pred_index: int
    confidence: float
    top_k: list[tuple[int, float]]  # (class index, probability), best first


@dataclass(frozen=True)
class PredictionsSampled:
    epoch: int
    class_names: list[str]
    samples: list[PredictionSample]
    # Every validation image's (true, predicted) index, so a confusion cell can be explained.
    all_true: list[int] = field(default_factory=list)
    all_pred: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class CheckpointSaved:
    path: str
    kind: Literal["best", "last"]
    epoch: int


@dataclass(frozen=True)
class RunFinished:
    status: RunStatus
    reason: str  # one readable sentence
    run_dir: str
    epochs_completed: int
    best_val_acc: float | None
    best_epoch: int | None
    model_path: str | None  # model.safetensors, when one was saved
    # "" for a model that learned; else "This model is guessing: ... What to try: ..."
    verdict: str = ""
    test_acc: float | None = None  # the best model on the dataset's test split, when it has one
    # A run that also learnt from unlabelled images: whether they helped, in one sentence.
    unlabelled_verdict: str = ""


TrainEvent = (
    RunStarted
    | LogMessage
    | StepEnded
    | EpochEnded
    | PredictionsSampled
    | CheckpointSaved
    | RunFinished
)
