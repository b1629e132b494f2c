"""Typed, frozen run configuration. The GUI edits it with `dataclasses.replace`;
`to_dict(config)` goes into every run folder as config.json."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Optimizer = Literal["sgd", "adam", "adamw", "rmsprop"]
Schedule = Literal["cosine", "onecycle", "step", "constant"]
LossName = Literal["cross_entropy", "focal"]
DeviceName = str  # "auto", "cpu", "cuda", "cuda:1", "mps"
Precision = Literal["auto", "on", "off"]

OPTIMIZERS: tuple[str, ...] = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES: tuple[str, ...] = ("cosine", "onecycle", "step", "constant")
LOSSES: tuple[str, ...] = ("cross_entropy", "focal")


@dataclass(frozen=True)
class AugmentConfig:
    """Training-time augmentation, applied in batches on tensors (on the GPU when there is one)."""

    hflip: bool = True
    vflip: bool = False
    random_resized_crop: bool = True
    crop_scale_min: float = 0.35  # smallest crop, as a fraction of the image area
    rotation_degrees: float = 0.0  # uniform in [-d, +d]
    color_jitter: float = 0.0  # strength 0..1 of brightness/contrast/saturation jitter
    trivial_augment: bool = False  # TrivialAugmentWide per image (slower: runs on the CPU)


@dataclass(frozen=True)
class TrainConfig:
    data_dir: str
    out_dir: str
    arch: str = "auto"  # "auto" picks from the data and the device (see core.train.defaults)
    pretrained: bool = False  # ImageNet weights via torchvision's weights API and cache
    weights_file: str | None = None  # local .pth/.pt/.safetensors state dict
    freeze_backbone: bool = False  # train only the new classifier head
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.0  # 0 = the optimizer's default (see core.train.defaults.default_lr)
    optimizer: Optimizer = "adamw"
    momentum: float = 0.9  # SGD momentum / RMSprop momentum
    weight_decay: float = 5e-4
    schedule: Schedule = "cosine"
    warmup_epochs: float = 1.0  # linear warm-up before cosine, in epochs
    step_size: int = 10  # "step" schedule: epochs between LR drops
    step_gamma: float = 0.1  # "step" schedule: LR multiplier at each drop
    image_size: int = 0  # 0 = auto (near the data's native size for small images)
    val_split: float = 0.2  # fraction held out when the folder is not already split
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    label_smoothing: float = 0.0
    loss: LossName = "cross_entropy"
    focal_gamma: float = 2.0
    class_balanced: bool = False  # weight the loss by inverse class frequency
    early_stopping_patience: int = 0  # epochs without val-accuracy gain; 0 = off
    seed: int = 0
    device: DeviceName = "auto"
    mixed_precision: Precision = (
        "auto"  # auto: CUDA on (bf16 if supported); CPU bf16 if measured >=15 % faster
    )
    cpu_threads: int = 0  # 0 = measure during the first steps and keep the faster count
    num_workers: int = -1  # DataLoader workers when the dataset does not fit the cache; -1 auto
    cache_memory_mb: int = 2048  # decode once into RAM/GPU when the uint8 cache fits this budget
    prediction_samples: int = 96  # validation images sent to the prediction grid each epoch
    resume: bool = False  # continue from out_dir/last.ckpt

    def validate(self) -> list[str]:
        """Problems a user must fix before training, in plain words (empty when fine)."""
        problems: list[str] = []
        if not self.data_dir:
            problems.append("Choose a dataset folder.")
        if self.epochs < 1:
            problems.append("Epochs must be at least 1.")
        if self.batch_size < 1:
            problems.append("Batch size must be at least 1.")
        if self.lr < 0:
            problems.append("Learning rate cannot be negative.")
        if self.optimizer not in OPTIMIZERS:
            problems.append(
                f"Unknown optimizer '{self.optimizer}' (choose {', '.join(OPTIMIZERS)})."
            )
        if self.schedule not in SCHEDULES:
            problems.append(f"Unknown schedule '{self.schedule}' (choose {', '.join(SCHEDULES)}).")
        if self.loss not in LOSSES:
            problems.append(f"Unknown loss '{self.loss}' (choose {', '.join(LOSSES)}).")
        if not 0.0 < self.val_split < 0.9:
            problems.append("Validation split must be between 0 and 0.9.")
        if self.image_size and not 16 <= self.image_size <= 1024:
            problems.append("Image size must be between 16 and 1024 pixels.")
        if not 0.0 <= self.label_smoothing < 1.0:
            problems.append("Label smoothing must be in [0, 1).")
        if self.freeze_backbone and not (self.pretrained or self.weights_file):
            problems.append(
                "Freezing the backbone only makes sense with pretrained or loaded weights: "
                "a frozen random backbone cannot learn."
            )
        if self.pretrained and self.weights_file:
            problems.append(
                "Use either ImageNet pretrained weights or a local weights file, not both."
            )
        if not 0.0 < self.augment.crop_scale_min <= 1.0:
            problems.append("Crop scale must be in (0, 1].")
        return problems


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild a TrainConfig from config.json, ignoring keys this version does not know."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {k: v for k, v in data.items() if k in known}
    aug = values.get("augment")
    if isinstance(aug, dict):
        aug_known = {f.name for f in dataclasses.fields(AugmentConfig)}
        values["augment"] = AugmentConfig(**{k: v for k, v in aug.items() if k in aug_known})
    return TrainConfig(**values)
