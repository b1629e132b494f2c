"""Choices Loupe makes when the user leaves them on auto: architecture, image size,
learning rate, so that small images train a small CNN near their native size and photos
get a pretrained model at a resolution the device can afford; and the arithmetic of a run
that the window needs before torch loads (steps per epoch). No torch here."""

from __future__ import annotations

import dataclasses
import math

from core.data.datasets import DatasetReport
from core.train.config import TrainConfig
from core.train.verdict import BUNDLED_BACKBONE, SCRATCH_MIN_IMAGES

SMALL_IMAGE_MAX = 64  # median side (px) up to which images count as "small"
SMALL_IMAGE_ARCH = "loupe_net"  # what "auto" trains on small images, whatever the device
# ... and on a small set of tiny images: about 40 % less compute per epoch, as accurate on
# 3,000 28 px digits (benchmarks/README.md, "Small images", round 3). Larger sets keep the
# wider network (not measured there), as do larger images.
SLIM_ARCH, SLIM_MAX_SIZE, SLIM_MAX_IMAGES = "loupe_net_slim", 32, 5000

# Base learning rates per optimizer for a batch of 64, scaled with the batch size: linearly
# for SGD (Goyal et al.'s rule), by the square root for the adaptive optimizers, whose
# per-parameter normalisation makes linear scaling far too timid for small batches. Lower
# when fine-tuning pretrained weights.
# Nesterov's 0.05 measured through fit() against 0.1 on 28 px digits (98.45 % against 97.95 %
# on average) and 300-per-class Fashion-MNIST (+0.3 points), loupe_net, batch 64
# (benchmarks/README.md, "Small images", round 2).
_BASE_LR = {"sgd": 0.05, "nesterov": 0.05, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3}
LINEAR_SCALING = ("sgd", "nesterov")


def default_lr(optimizer: str, batch_size: int, fine_tuning: bool) -> float:
    ratio = batch_size / 64
    scale = ratio if optimizer in LINEAR_SCALING else ratio**0.5
    lr = _BASE_LR.get(optimizer, 1e-3) * scale
    return lr * (0.3 if fine_tuning else 1.0)


# Optimizer steps a run needs, whatever the dataset's size (the number of epochs follows from
# it): fine-tuning ImageNet features settles within about a hundred steps (the small-photo
# benchmark reaches 100 % validation accuracy after ~12); a network trained from scratch needs
# many more. The old fixed 10 epochs gave a 240-image set only 40 steps of 64 images.
FINE_TUNE_STEPS = 100
FROM_SCRATCH_STEPS = 1000
# Large datasets keep at least this many passes (from scratch: the old fixed default).
MIN_EPOCHS_FINE_TUNE, MIN_EPOCHS_FROM_SCRATCH = 5, 10
MAX_AUTO_EPOCHS = 60  # a few hundred images: past this, more passes mostly memorise them


# Small images from scratch: loupe_net learns 2,500 digits in about 10 epochs; larger sets need
# fewer passes (each one holds more examples), smaller ones more. sqrt keeps a 60,000-image set
# at a few minutes on a CPU where a fixed count of steps or epochs would take an hour.
SMALL_IMAGE_EPOCHS, SMALL_IMAGE_REFERENCE = 10, 2500
MIN_SMALL_IMAGE_EPOCHS, MAX_SMALL_IMAGE_EPOCHS = 3, 40


def small_image_epochs(train_images: int) -> int:
    ratio = SMALL_IMAGE_REFERENCE / max(1, train_images)
    epochs = round(SMALL_IMAGE_EPOCHS * ratio**0.5)
    return min(MAX_SMALL_IMAGE_EPOCHS, max(MIN_SMALL_IMAGE_EPOCHS, epochs))


NESTEROV_MIN_IMAGES = 1000  # fewer: too few steps for SGD's rate to settle (AdamW is calmer)


def auto_optimizer(small: bool, fine_tuning: bool, train_images: int) -> str:
    """SGD with Nesterov momentum for small images from scratch (the fast CIFAR-10 records'
    choice: measured better than AdamW here); AdamW elsewhere (robust for fine-tuning, and
    for a few dozen images, where SGD's early epochs swing between right and wrong)."""
    if small and not fine_tuning and train_images >= NESTEROV_MIN_IMAGES:
        return "nesterov"
    return "adamw"


def auto_epochs(train_images: int, batch_size: int, fine_tuning: bool) -> int:
    """Epochs that give the run enough optimizer steps for its data (see FINE_TUNE_STEPS)."""
    steps = max(1, steps_per_epoch(train_images, batch_size))
    target = FINE_TUNE_STEPS if fine_tuning else FROM_SCRATCH_STEPS
    minimum = MIN_EPOCHS_FINE_TUNE if fine_tuning else MIN_EPOCHS_FROM_SCRATCH
    return min(MAX_AUTO_EPOCHS, max(minimum, math.ceil(target / steps)))


def stops_on_plateau(small_from_scratch: bool, patience: int, epochs_on_auto: bool) -> bool:
    """Whether auto's epochs are a ceiling that core.train.plateau may stop short of: not for
    small images trained from scratch (a calibrated cosine schedule: its last, low-rate
    epochs are the best), not when the user set the epochs or an early-stopping patience."""
    return epochs_on_auto and not patience and not small_from_scratch


def is_small_from_scratch(cfg: TrainConfig, report: DatasetReport) -> bool:
    """A resolved config trains small images from scratch at their size (resolve_auto's
    small-image recipe)."""
    fine_tuning = cfg.pretrained or bool(cfg.weights_file)
    small = has_small_images(report.median_size)
    return small and not fine_tuning and cfg.image_size <= SMALL_IMAGE_MAX


def _round8(n: float) -> int:
    return max(16, int(round(n / 8)) * 8)


def has_small_images(median_size: tuple[int, int] | None) -> bool:
    """Whether "auto" treats the dataset as small images (a small CNN at their own size)."""
    return bool(median_size) and min(median_size) <= SMALL_IMAGE_MAX


def native_image_size(short_side: int) -> int:
    """The training size "auto" picks for small images: their short side, rounded to 4
    (28 px digits stay 28 px: enlarging them to 32 costs 30 % more time and adds nothing)."""
    return max(16, int(round(short_side / 4)) * 4)


def small_image_arch(report: DatasetReport, image_size: int) -> str:
    """What auto trains on small images: the slim loupe_net for a few thousand images of at
    most 32 px (`image_size` 0 = their native size), loupe_net otherwise."""
    size = image_size or native_image_size(min(report.median_size or (224, 224)))
    return (
        SLIM_ARCH if size <= SLIM_MAX_SIZE and report.total <= SLIM_MAX_IMAGES else SMALL_IMAGE_ARCH
    )


def expected_arch(arch: str, report: DatasetReport | None, image_size: int = 0) -> str:
    """The architecture a run will train, as far as it is known before torch loads (to name
    the run folder): resolve_auto's small-image rule; for photos the choice depends on the
    device and the weights at hand, so it stays "auto"."""
    if arch != "auto" or report is None or not has_small_images(report.median_size):
        return arch or "auto"
    return small_image_arch(report, image_size)


def steps_per_epoch(images: int, batch_size: int) -> int:
    """Optimizer steps in one epoch of `images` training images. A last batch of a single
    image is dropped (BatchNorm cannot train on one image) unless it is the only one."""
    full, rest = divmod(max(images, 0), max(batch_size, 1))
    return full + (1 if rest > 1 or (rest == 1 and full == 0) else 0)


def resolve_auto(
    cfg: TrainConfig,
    report: DatasetReport,
    device_type: str,
    pretrained_available,
    train_images: int | None = None,
) -> tuple[TrainConfig, list[str]]:
    """Fill in every 'auto' value. `pretrained_available(arch) -> bool` says whether ImageNet
    weights can be had (bundled, cached or downloadable); `train_images` sizes auto epochs.
    Returns the config and a note per choice; the first note says which path the run takes
    (fine-tuning or from scratch) and why."""
    from core.models.registry import arch_info

    notes: list[str] = []
    median = report.median_size or (224, 224)
    short_side = min(median)
    small = has_small_images(median)
    arch, size, pretrained = cfg.arch, cfg.image_size, cfg.pretrained

    if arch == "auto":
        if small:
            arch = small_image_arch(report, size)
            slim = " (slim: few, tiny images)" if arch == SLIM_ARCH else ""
            notes.append(
                f"Small images (median {median[0]}x{median[1]}): using Loupe's small CNN{slim}."
            )
        else:
            # A GPU can afford a bigger model; a CPU run must stay in minutes, not hours.
            candidate = "resnet50" if device_type == "cuda" else "mobilenet_v3_large"
            if not cfg.weights_file and pretrained_available(candidate):
                arch, pretrained = candidate, True
                notes.append(
                    f"Fine-tuning {candidate} (ImageNet weights {weights_words(candidate)}) "
                    "because these are photos and pretrained features learn them from few images."
                )
            elif not cfg.weights_file and pretrained_available(BUNDLED_BACKBONE):
                arch, pretrained = BUNDLED_BACKBONE, True
                notes.append(
                    "Fine-tuning EfficientNet-Lite0 (ImageNet weights bundled) because these are "
                    f"photos and torchvision's {candidate} weights are not downloaded (offline): "
                    "pretrained features learn photos from few images."
                )
            else:
                # Never a network that cannot learn from scratch on this many images.
                images = train_images if train_images is not None else report.total
                big_enough = images >= SCRATCH_MIN_IMAGES
                arch = "resnet18" if device_type == "cuda" and big_enough else "loupe_net"
                notes.append(
                    f"Training {arch} from scratch because no pretrained weights are available "
                    "(pretrained weights usually give much better accuracy: see 'models')."
                )
    info = arch_info(arch)
    if size == 0:
        if info.fixed_image_size:
            size = info.fixed_image_size
        elif small:
            size = native_image_size(short_side)
        elif device_type == "cuda":
            size = 224
        else:
            # Photos smaller than the CPU size are not enlarged: it costs time, adds no detail.
            size = min(160 if pretrained else 128, max(96, _round8(short_side)))
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
    fine_tuning = pretrained or bool(cfg.weights_file)
    from_scratch_small = small and not fine_tuning and size <= SMALL_IMAGE_MAX
    images = train_images if train_images is not None else report.total
    optimizer = cfg.optimizer
    if optimizer == "auto":
        optimizer = auto_optimizer(from_scratch_small, fine_tuning, images)
        if optimizer == "nesterov":
            notes.append("Optimizer: SGD with Nesterov momentum (small images from scratch).")
    lr = cfg.lr or default_lr(optimizer, cfg.batch_size, fine_tuning)
    epochs = cfg.epochs
    if epochs == 0:
        if from_scratch_small:
            epochs = small_image_epochs(images)
        else:
            epochs = auto_epochs(images, cfg.batch_size, fine_tuning)
        steps = epochs * steps_per_epoch(images, cfg.batch_size)
        ceiling = stops_on_plateau(from_scratch_small, cfg.early_stopping_patience, True)
        notes.append(
            f"{'Up to ' if ceiling else ''}{epochs} epochs ({steps:,} optimizer steps of "
            f"{cfg.batch_size} images; {epochs * images:,} images seen)"
            + ("; stops earlier once validation stops improving." if ceiling else ".")
        )
    resolved = dataclasses.replace(
        cfg,
        arch=arch,
        image_size=size,
        pretrained=pretrained,
        optimizer=optimizer,
        lr=lr,
        epochs=epochs,
    )
    return resolved, notes


SMALL_IMAGE_CROP_MIN = 0.75  # crops of small images keep at least this share of the area


def adapt_augmentation(cfg: TrainConfig, grayscale: bool) -> tuple[TrainConfig, list[str]]:
    """Milder augmentation for small images (augment.adapt): a 28 px digit cropped to a third
    of its area is no longer a digit, and mirrored digits or letters change meaning (flips
    cost a point of accuracy on 28 px digits, measured in benchmarks/small_images.py)."""
    aug = cfg.augment
    if not aug.adapt or cfg.image_size > SMALL_IMAGE_MAX:
        return cfg, []
    notes = []
    changes: dict = {}
    if aug.random_resized_crop and aug.crop_scale_min < SMALL_IMAGE_CROP_MIN:
        changes["crop_scale_min"] = SMALL_IMAGE_CROP_MIN
        notes.append(
            f"Small images: random crops keep at least {SMALL_IMAGE_CROP_MIN:.0%} of the image."
        )
    if aug.hflip and grayscale:
        changes["hflip"] = False
        notes.append(
            "Small grayscale images: not mirrored (digits and letters change meaning); "
            "--no-adapt-augment keeps your augmentation as set."
        )
    if not changes:
        return cfg, []
    return dataclasses.replace(cfg, augment=dataclasses.replace(aug, **changes)), notes


def weights_words(arch: str) -> str:
    """How a run gets an architecture's ImageNet weights, in a word or two."""
    from core.models.registry import weights_status

    return {"cached": "cached", "downloadable": "downloaded now", "bundled": "bundled"}.get(
        weights_status(arch, check_network=False), "available"
    )


def estimate_minutes(images_per_epoch: int, epochs: int, images_per_second: float) -> float:
    return images_per_epoch * epochs / max(images_per_second, 1e-6) / 60
