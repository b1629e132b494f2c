"""Choices Loupe makes when the user leaves them on auto: architecture, image size,
learning rate, so that small images train a small CNN near their native size and photos
get a pretrained model at a resolution the device can afford."""

from __future__ import annotations

import dataclasses

from core.data.datasets import DatasetReport
from core.train.config import TrainConfig

SMALL_IMAGE_MAX = 64  # median side (px) up to which images count as "small"

# Base learning rates per optimizer for a batch of 64, scaled with the batch size: linearly
# for SGD (Goyal et al.'s rule), by the square root for the adaptive optimizers, whose
# per-parameter normalisation makes linear scaling far too timid for small batches. Lower
# when fine-tuning pretrained weights.
_BASE_LR = {"sgd": 0.05, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3}


def default_lr(optimizer: str, batch_size: int, fine_tuning: bool) -> float:
    ratio = batch_size / 64
    scale = ratio if optimizer == "sgd" else ratio**0.5
    lr = _BASE_LR.get(optimizer, 1e-3) * scale
    return lr * (0.3 if fine_tuning else 1.0)


def _round8(n: float) -> int:
    return max(16, int(round(n / 8)) * 8)


def resolve_auto(
    cfg: TrainConfig, report: DatasetReport, device_type: str, pretrained_available
) -> tuple[TrainConfig, list[str]]:
    """Fill in every 'auto' value. `pretrained_available(arch) -> bool` says whether ImageNet
    weights can be had (cached or downloadable). Returns the config and a note per choice."""
    from core.models.registry import arch_info

    notes: list[str] = []
    median = report.median_size or (224, 224)
    short_side = min(median)
    small = short_side <= SMALL_IMAGE_MAX
    arch, size, pretrained = cfg.arch, cfg.image_size, cfg.pretrained

    if arch == "auto":
        if small:
            arch = "loupe_net"
            notes.append(f"Small images (median {median[0]}x{median[1]}): using Loupe's small CNN.")
        else:
            # A GPU can afford a bigger model; a CPU run must stay in minutes, not hours.
            candidate = "resnet50" if device_type == "cuda" else "mobilenet_v3_large"
            if not cfg.weights_file and pretrained_available(candidate):
                arch, pretrained = candidate, True
                notes.append(f"Photos: fine-tuning ImageNet-pretrained {candidate}.")
            else:
                arch = "resnet18" if device_type == "cuda" else "loupe_net"
                notes.append(
                    f"Photos, but no pretrained weights available offline: training {arch} from scratch "
                    "(pretrained weights usually give much better accuracy: see 'models')."
                )
    info = arch_info(arch)
    if size == 0:
        if info.fixed_image_size:
            size = info.fixed_image_size
        elif small:
            size = _round8(max(short_side, 16))
        elif device_type == "cuda":
            size = 224
        else:
            size = 160 if pretrained else 128
        size = max(size, info.min_image_size)
        notes.append(f"Image size {size} px.")
    if info.fixed_image_size and size != info.fixed_image_size:
        notes.append(f"{arch} only works at {info.fixed_image_size} px: using that.")
        size = info.fixed_image_size
    if size < info.min_image_size:
        notes.append(
            f"{arch} needs at least {info.min_image_size} px: using {info.min_image_size}."
        )
        size = info.min_image_size
    lr = cfg.lr or default_lr(cfg.optimizer, cfg.batch_size, pretrained or bool(cfg.weights_file))
    resolved = dataclasses.replace(cfg, arch=arch, image_size=size, pretrained=pretrained, lr=lr)
    return resolved, notes


def estimate_minutes(images_per_epoch: int, epochs: int, images_per_second: float) -> float:
    return images_per_epoch * epochs / max(images_per_second, 1e-6) / 60
