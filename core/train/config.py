"""Typed, frozen run configuration. The GUI edits it with `dataclasses.replace`;
`to_dict(config)` goes into every run folder as config.json.

Every user-facing field carries a `Setting` (core.train.settings): its name in the window,
its command-line flag, help text, range and "auto" value, written once here and used by
argparse, the window's tooltips and spin boxes, and `config_problems`."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal

from core.command_name import command_line
from core.train.augment_config import AugmentConfig
from core.train.settings import find_setting, setting
from core.train.unlabelled_config import UnlabelledConfig

Optimizer = Literal["auto", "sgd", "nesterov", "adam", "adamw", "rmsprop"]
Schedule = Literal["cosine", "onecycle", "step", "constant"]
LossName = Literal["cross_entropy", "focal"]
DeviceName = str  # "auto", "cpu", "cuda", "cuda:1", "mps"
Precision = Literal["auto", "on", "off"]

OPTIMIZERS: tuple[str, ...] = ("sgd", "nesterov", "adam", "adamw", "rmsprop")
SCHEDULES: tuple[str, ...] = ("cosine", "onecycle", "step", "constant")
LOSSES: tuple[str, ...] = ("cross_entropy", "focal")
PRECISIONS: tuple[str, ...] = ("auto", "on", "off")
AUTO = "auto"  # the text fields' "Loupe decides"; number fields use 0 (see each Setting.auto)
# .bin: PyTorch state dicts as some hubs name them; .ckpt: a Loupe run's checkpoint.
WEIGHTS_EXTENSIONS = (".pth", ".pt", ".safetensors", ".bin", ".ckpt")


@dataclass(frozen=True)
class TrainConfig:
    data_dir: str
    out_dir: str
    arch: str = setting(
        AUTO,
        "Architecture",
        f"The network to train ('{command_line('models')}' lists them). 'auto' picks a small "
        "CNN for small images and a pretrained model for photos.",
        auto=AUTO,
    )
    pretrained: bool = setting(
        False,
        "Start from ImageNet weights",
        "Start from a model already trained on ImageNet's 1.2 million photos. It learns your "
        "classes much faster and usually ends up more accurate.",
    )
    weights_file: str | None = setting(
        None,
        "Weights file",
        "Start from weights saved in a file (.pth, .pt or .safetensors) instead of "
        "ImageNet's, e.g. a model downloaded earlier or trained by a colleague.",
        flag="--weights",
    )
    freeze_backbone: bool = setting(
        False,
        "Freeze backbone",
        "Train only the last layer and keep the pretrained features as they are. Very fast "
        "and good for tiny datasets, but usually less accurate than training everything.",
    )
    epochs: int = setting(
        0,
        "Epochs",
        "How many times the model sees every training image. More epochs: better fit, "
        "longer training; early stopping can end the run sooner. 'auto' gives the run enough "
        "training steps for the size of the dataset (many passes over a small one); for "
        "photos and fine-tuning that is a ceiling ('up to N epochs'): the run stops earlier "
        "once validation has stopped improving, and keeps its best model.",
        minimum=1,
        maximum=10_000,
        auto=0,  # see core.train.defaults.auto_epochs
    )
    batch_size: int = setting(
        64,
        "Batch size",
        "Images processed together in one step. Larger batches are faster on a GPU but need "
        "more memory; lower it if you run out of memory. With several processes (torchrun) "
        "it is the global batch: each process takes its share.",
        minimum=1,
        maximum=4096,
    )
    lr: float = setting(
        0.0,
        "Learning rate",
        "How big each correction step is. 'auto' picks a good value for the optimizer and "
        "batch size. Too high: the loss jumps around; too low: learning crawls.",
        minimum=1e-7,
        maximum=10.0,
        auto=0.0,  # see core.train.defaults.default_lr
    )
    optimizer: Optimizer = setting(
        AUTO,
        "Optimizer",
        "The rule that updates the model. auto: SGD with Nesterov momentum for small images "
        "trained from scratch (as the fast CIFAR-10 training records do), AdamW otherwise. "
        "SGD with momentum can be slightly better with a long schedule (nesterov: SGD with "
        "Nesterov momentum).",
        choices=(AUTO, *OPTIMIZERS),
        auto=AUTO,
    )
    momentum: float = setting(
        0.9,
        "Momentum",
        "How much of the previous step carries over (SGD, Nesterov and RMSprop only). 0.9 is "
        "usual.",
        minimum=0.0,
        maximum=0.999,
    )
    weight_decay: float = setting(
        5e-4,
        "Weight decay",
        "Gently pulls weights towards zero to reduce overfitting. 0.0005 is usual; 0 turns it off.",
        minimum=0.0,
        maximum=1.0,
    )
    schedule: Schedule = setting(
        "cosine",
        "Schedule",
        "How the learning rate changes during training. cosine: warm up, then slowly "
        "decrease (recommended). onecycle: rise then fall. step: drop at fixed epochs. "
        "constant: never change.",
        choices=SCHEDULES,
    )
    warmup_epochs: float = setting(
        1.0,
        "Warm-up",
        "Epochs at the start during which the learning rate rises gently from almost zero "
        "(cosine schedule), which avoids a bad start.",
        flag="--warmup",
        minimum=0,
        maximum=100,
        unit="epochs",
    )
    step_size: int = setting(
        10,
        "Step every",
        "Step schedule: epochs between two learning-rate drops.",
        minimum=1,
        maximum=1000,
        unit="epochs",
    )
    step_gamma: float = setting(
        0.1,
        "Step factor",
        "Step schedule: the learning rate is multiplied by this at each drop (0.1 = divided "
        "by ten).",
        minimum=0.01,
        maximum=1.0,
    )
    image_size: int = setting(
        0,
        "Image size",
        "Images are resized to this many pixels (square) before training. Bigger shows more "
        "detail but is slower. 'auto' chooses from your images and the device.",
        minimum=16,
        maximum=1024,
        auto=0,
        unit="px",
    )
    val_split: float = setting(
        0.2,
        "Validation share",
        "Share of each class held back to measure accuracy on images the model never "
        "trained on (0.2 = 20 %). Not used when the folder already has a val folder.",
        minimum=0.01,
        maximum=0.9,
    )
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    label_smoothing: float = setting(
        0.1,
        "Label smoothing",
        "Teach the model not to be 100 % sure (0 = off). 0.1, the default, improves accuracy "
        "and keeps SGD's logits from growing without bound (28 px digits: 98 % instead of "
        "95 %, benchmarks/small_images.py).",
        minimum=0.0,
        maximum=0.5,
    )
    loss: LossName = setting(
        "cross_entropy",
        "Loss",
        "What the model minimises. cross_entropy is standard; focal concentrates on hard "
        "examples, which can help with imbalanced classes.",
        choices=LOSSES,
    )
    focal_gamma: float = setting(
        2.0,
        "Focal gamma",
        "Focal loss: how strongly easy examples are ignored (2 is usual).",
        minimum=0.0,
        maximum=10.0,
    )
    class_balanced: bool = setting(
        False,
        "Balance classes",
        "Count mistakes on rare classes more (the loss is weighted by inverse class "
        "frequency), so the model does not simply favour the classes with the most images.",
    )
    early_stopping_patience: int = setting(
        0,
        "Early stopping",
        "Stop when validation accuracy has not improved for this many epochs, and keep the "
        "best model. 'off': epochs you set all run, epochs on auto may end early by "
        "Loupe's own rule (see Epochs); a patience set here replaces that rule.",
        flag="--early-stopping",
        minimum=0,
        maximum=1000,
        auto=0,
        auto_word="off",
        unit="epochs",
    )
    seed: int = setting(
        0,
        "Seed",
        "Starting point of all randomness. The same seed and settings give the same "
        "validation split and very similar results.",
        minimum=0,
        maximum=2**31 - 1,  # what the window's spin box holds; torch takes up to 2**64 - 1
    )
    device: DeviceName = setting(
        AUTO,
        "Device",
        "Where training runs: auto, cpu, cuda, cuda:N or mps. A GPU is often 10-50x faster "
        "than the CPU. With several GPUs the window also offers 'All N GPUs': one process per "
        "GPU, sharing the batch.",
        auto=AUTO,
    )
    mixed_precision: Precision = setting(
        AUTO,
        "Mixed precision",
        "Compute in 16-bit where it is safe: faster and lighter on modern GPUs. auto turns "
        "it on for GPUs, and on the CPU only where it measures at least 15 % faster.",
        choices=PRECISIONS,
        auto=AUTO,
    )
    cpu_threads: int = setting(
        0,
        "CPU threads",
        "Threads for training on the CPU. auto measures during the first steps and keeps "
        "the faster count.",
        minimum=1,
        maximum=1024,
        auto=0,
        in_window=False,
    )
    retune_cpu: bool = setting(
        False,
        "Measure CPU speed again",
        "Measure the fastest CPU thread count and precision again, instead of reusing the "
        "last measurement for this machine, model, image size and batch size.",
        in_window=False,
    )
    num_workers: int = setting(
        -1,
        "Loader workers",
        "Processes decoding images when the dataset does not fit the image cache (0 = in "
        "the training process). auto picks from the number of CPU cores.",
        minimum=0,
        maximum=256,
        auto=-1,  # 0 workers is a real choice, so "auto" cannot be 0 here
        in_window=False,
    )
    cache_memory_mb: int = setting(
        2048,
        "Image cache",
        "Memory Loupe may use to keep decoded images, so each file is read only once. "
        "Larger datasets are read from disk each epoch (slower). 0 = off.",
        flag="--cache-mb",
        minimum=0,
        maximum=1_048_576,
        auto=0,
        auto_word="off",
        unit="MB",
    )
    prediction_samples: int = setting(
        96,
        "Prediction samples",
        "Validation images sent to the window's prediction grid each epoch.",
        minimum=0,
        maximum=4096,
        in_window=False,
    )
    unlabelled: UnlabelledConfig = field(default_factory=UnlabelledConfig)
    resume: bool = False  # continue from out_dir/last.ckpt


def named(key: str) -> str:
    """A setting as messages name it for both audiences: "Image size (--image-size)"."""
    return find_setting(TrainConfig, key).name


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild a TrainConfig from config.json, ignoring keys this version does not know.
    Values are not checked here: core.train.validation.config_problems does that."""
    if not isinstance(data, dict):
        raise TypeError(f"a config is a JSON object, not {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {k: v for k, v in data.items() if k in known}
    for name, nested_class in (("augment", AugmentConfig), ("unlabelled", UnlabelledConfig)):
        nested = values.get(name)
        if isinstance(nested, dict):
            nested_known = {f.name for f in dataclasses.fields(nested_class)}
            values[name] = nested_class(**{k: v for k, v in nested.items() if k in nested_known})
        elif name in values:
            values.pop(name)
    values.setdefault("data_dir", "")
    values.setdefault("out_dir", "")
    return TrainConfig(**values)


def read_config(path: str) -> TrainConfig:
    """A run's config.json. Raises LoupeError naming the file when it is missing or is not
    a Loupe config."""
    from core.train.config_schema import ConfigFileError, check_fields

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError as exc:
        raise ConfigFileError(f"{path} does not exist: is this a Loupe run folder?") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigFileError(f"{path} is not a readable Loupe config ({exc}).") from exc
    check_fields(path, data, TrainConfig)  # "epochs": "many" is refused naming the field
    try:
        return from_dict(data)
    except (ValueError, TypeError) as exc:
        raise ConfigFileError(f"{path} is not a readable Loupe config ({exc}).") from exc


def resume_config(run_dir: str, data_dir: str | None = None, **changes: Any) -> TrainConfig:
    """The config that continues `run_dir`: its own config.json, resumed into the same
    folder, with `changes` (e.g. epochs=20) applied and, if given, another `data_dir`.
    Used by the CLI's --resume and the window's Resume / extend."""
    saved = read_config(os.path.join(run_dir, "config.json"))
    return dataclasses.replace(
        saved, out_dir=run_dir, resume=True, data_dir=data_dir or saved.data_dir, **changes
    )
