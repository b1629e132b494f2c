"""Training presets: named sets of values for the settings panel. Plain Python (no Qt).

Values are keyed like the panel's fields: TrainConfig field names, and "augment.<name>" for
AugmentConfig fields. A preset only sets the fields it names; the others keep what the
user chose (architecture, device, batch size...)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.models.catalog import LOUPE_ARCHITECTURES, USABLE_WEIGHTS
from core.train.config import TrainConfig
from core.train.settings import flat_values
from core.train.verdict import cannot_learn_from_scratch

QUICK, BALANCED, BEST, CUSTOM = "Quick", "Balanced", "Best accuracy", "Custom"
TUTORIAL = "Tutorial recipe"
PRESET_NAMES: tuple[str, ...] = (QUICK, BALANCED, BEST, TUTORIAL)
# The command line's `--preset` words.
PRESET_WORDS: dict[str, str] = {
    "quick": QUICK,
    "balanced": BALANCED,
    "best": BEST,
    "tutorial": TUTORIAL,
}

DESCRIPTIONS: dict[str, str] = {
    QUICK: "A first result in minutes: few epochs at a small image size.",
    BALANCED: "Loupe's defaults: a good model in a reasonable time.",
    BEST: "More epochs, pretrained weights when available, stronger augmentation: slower, "
    "usually a few points more accurate.",
    TUTORIAL: "The classic PyTorch CIFAR-10 tutorial, exactly: its small LeNet-style CNN, SGD "
    "(lr 0.001, momentum 0.9), batch 4, 2 epochs, no augmentation. Compare it with Loupe's "
    "defaults on your own data in Runs.",
    CUSTOM: "Your own settings.",
}

QUICK_IMAGE_SIZE = 96  # px: a quarter of the pixels of 192, still enough to tell photos apart


@dataclass(frozen=True)
class PresetContext:
    """What a preset may depend on: the chosen model and the dataset, when known."""

    weights_status: str | None = None  # see core.models.registry.WeightsStatus
    fixed_image_size: int | None = None  # ViTs: only this size works
    small_images: bool = False  # the dataset's images are at most ~64 px: auto is best
    arch: str = "auto"  # the architecture chosen in the panel
    train_images: int | None = None  # training images of the dataset, when scanned


_BALANCED: dict[str, Any] = {
    "epochs": 0,  # auto: enough optimizer steps for the data (core.train.defaults)
    "image_size": 0,
    "augment.hflip": True,
    "augment.random_resized_crop": True,
    "augment.crop_scale_min": 0.35,
    "augment.rotation_degrees": 0.0,
    "augment.color_jitter": 0.0,
    "augment.trivial_augment": False,
    "label_smoothing": 0.1,
    "early_stopping_patience": 0,
}


# pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html: its Net at CIFAR-10's 32 px,
# CrossEntropyLoss, optim.SGD(lr=0.001, momentum=0.9) (no Nesterov, no weight decay, a constant
# rate), batch 4, 2 epochs, fp32, ToTensor + Normalize only. Every setting that Loupe adds on
# top of it is switched off here, so the comparison shows what those additions are worth.
_TUTORIAL: dict[str, Any] = {
    "arch": "simple_cnn",
    "pretrained": False,
    "weights_file": None,
    "freeze_backbone": False,
    "epochs": 2,
    "batch_size": 4,
    "lr": 0.001,
    "optimizer": "sgd",
    "momentum": 0.9,
    "weight_decay": 0.0,
    "schedule": "constant",
    "warmup_epochs": 0.0,
    "image_size": 32,
    "mixed_precision": "off",
    "augment.hflip": False,
    "augment.vflip": False,
    "augment.random_resized_crop": False,
    "augment.rotation_degrees": 0.0,
    "augment.color_jitter": 0.0,
    "augment.trivial_augment": False,
    "label_smoothing": 0.0,
    "loss": "cross_entropy",
    "class_balanced": False,
    "early_stopping_patience": 0,
}


def preset_values(name: str, context: PresetContext | None = None) -> dict[str, Any]:
    """The fields preset `name` sets; {} for Custom or an unknown name."""
    context = context or PresetContext()
    if name == BALANCED:
        return dict(_BALANCED)
    if name == TUTORIAL:
        return dict(_TUTORIAL)
    if name == QUICK:
        # Small images are already fast at their own size; ViTs only run at one size.
        keep_auto = context.small_images or context.fixed_image_size is not None
        return {**_BALANCED, "epochs": 5, "image_size": 0 if keep_auto else QUICK_IMAGE_SIZE}
    if name == BEST:
        values = {
            **_BALANCED,
            "epochs": 30,
            "augment.crop_scale_min": 0.25,
            "augment.rotation_degrees": 10.0,
            "augment.color_jitter": 0.2,
            "label_smoothing": 0.1,
            "early_stopping_patience": 8,
        }
        if context.weights_status in USABLE_WEIGHTS:
            values["pretrained"] = True
        elif _cannot_learn(context):
            # Never a big network from random weights on a few hundred photos (it stays at
            # chance): auto fine-tunes a pretrained one, EfficientNet-Lite0's bundled weights
            # when torchvision's cannot be had.
            values["arch"] = "auto"
        return values
    return {}


def _cannot_learn(context: PresetContext) -> bool:
    source = "loupe" if context.arch in (*LOUPE_ARCHITECTURES, "auto") else "torchvision"
    images = context.train_images if context.train_images is not None else 0
    return not context.small_images and cannot_learn_from_scratch(source, False, images)


def tutorial_undone() -> dict[str, Any]:
    """Loupe's defaults for every field the tutorial recipe sets: what another preset starts
    from when the user leaves the tutorial (its batch of 4 and small CNN must not stay)."""
    defaults = flat_values(TrainConfig(data_dir="", out_dir=""))
    return {key: defaults[key] for key in _TUTORIAL}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return a == b


def matching_preset(values: dict[str, Any], context: PresetContext | None = None) -> str:
    """The first preset whose every field equals `values`, else Custom."""
    for name in PRESET_NAMES:
        wanted = preset_values(name, context)
        if all(key in values and _same(values[key], v) for key, v in wanted.items()):
            return name
    return CUSTOM
