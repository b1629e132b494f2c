"""Training presets: named sets of values for the settings panel. Plain Python (no Qt).

Values are keyed like the panel's fields: TrainConfig field names, and "augment.<name>" for
AugmentConfig fields. A preset is a whole recipe (`preset_recipe`): choosing one gives
exactly that preset, every setting of the recipe (the architecture and its weights, epochs,
batch size, learning rate, optimizer, schedule, augmentation, loss...) at the preset's value
or, where the preset names none, at Loupe's default. Only the settings about the computer
and the data (device, validation share, seed, workers, cache, unlabelled images) are kept,
and a preset is shown as chosen only while every recipe setting equals it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.train.config import TrainConfig
from core.train.settings import flat_values

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


# Settings about the computer and the data, not about how to train: presets keep them.
NOT_RECIPE = (
    "data_dir",
    "out_dir",
    "resume",
    "device",
    "val_split",
    "seed",
    "cpu_threads",
    "retune_cpu",
    "num_workers",
    "cache_memory_mb",
    "prediction_samples",
)
_DEFAULTS = flat_values(TrainConfig(data_dir="", out_dir=""))
RECIPE_KEYS: tuple[str, ...] = tuple(
    key for key in _DEFAULTS if key not in NOT_RECIPE and not key.startswith("unlabelled.")
)


@dataclass(frozen=True)
class PresetContext:
    """What a preset may depend on: the dataset, when known. (Not the architecture on
    screen: a preset chooses the architecture itself.)"""

    small_images: bool = False  # the dataset's images are at most ~64 px: auto is best


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
    """The fields preset `name` names (the command line's `--preset`, which starts from the
    defaults anyway); {} for Custom or an unknown name. See preset_recipe for the rest."""
    context = context or PresetContext()
    if name == BALANCED:
        return dict(_BALANCED)
    if name == TUTORIAL:
        return dict(_TUTORIAL)
    if name == QUICK:
        # Small images are already fast at their own size.
        size = 0 if context.small_images else QUICK_IMAGE_SIZE
        return {**_BALANCED, "epochs": 5, "image_size": size}
    if name == BEST:
        # Pretrained weights when available: architecture auto fine-tunes ImageNet weights
        # for photos (EfficientNet-Lite0's bundled ones offline), and never trains a big
        # network from random weights on a few hundred photos.
        return {
            **_BALANCED,
            "epochs": 30,
            "augment.crop_scale_min": 0.25,
            "augment.rotation_degrees": 10.0,
            "augment.color_jitter": 0.2,
            "label_smoothing": 0.1,
            "early_stopping_patience": 8,
        }
    return {}


def preset_recipe(name: str, context: PresetContext | None = None) -> dict[str, Any]:
    """Every recipe setting as preset `name` has it: the values it names, Loupe's defaults
    for the others (so leaving the tutorial's batch of 4 and small CNN leaves nothing of it
    behind). {} for Custom or an unknown name."""
    if name not in PRESET_NAMES:
        return {}
    return {**{key: _DEFAULTS[key] for key in RECIPE_KEYS}, **preset_values(name, context)}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return a == b


def matching_preset(values: dict[str, Any], context: PresetContext | None = None) -> str:
    """The first preset whose whole recipe equals `values`, else Custom. A recipe setting
    missing from `values` (one the window has no control for) is not compared."""
    for name in PRESET_NAMES:
        wanted = preset_recipe(name, context)
        if all(key not in values or _same(values[key], v) for key, v in wanted.items()):
            return name
    return CUSTOM
