"""The `train` command's flags, generated from TrainConfig's field metadata: each Setting
becomes one flag with its help, choices and allowed range, so the CLI offers every setting
the window offers, in the same words. Values are converted here; ranges are checked by
core.train.validation.config_problems, the same check the window runs."""

from __future__ import annotations

import argparse
from typing import Any

from core.train.config import TrainConfig
from core.train.settings import SettingField, allowed_text, parse_text, setting_fields

# Section titles of `train --help`, in the order the window shows its settings.
_GROUPS = {
    "model": ("arch", "pretrained", "weights_file", "freeze_backbone"),
    "training": (
        "epochs",
        "batch_size",
        "lr",
        "image_size",
        "device",
        "mixed_precision",
        "class_balanced",
    ),
    "optimizer and schedule": (
        "optimizer",
        "momentum",
        "weight_decay",
        "schedule",
        "warmup_epochs",
        "step_size",
        "step_gamma",
    ),
    "augmentation": (),  # every augment.<name> key
    "loss": ("loss", "focal_gamma", "label_smoothing"),
    "validation and run": ("val_split", "early_stopping_patience", "seed", "cache_memory_mb"),
    "unlabelled images": (),  # every unlabelled.<name> key
}
_OTHER = "engine (not in the window)"


def train_settings() -> list[SettingField]:
    """The settings that get a `train` flag: every Setting of TrainConfig."""
    return setting_fields(TrainConfig)


def _dest(item: SettingField) -> str:
    return "setting__" + item.key.replace(".", "__")


def _group_of(item: SettingField) -> str:
    if item.key.startswith("augment."):
        return "augmentation"
    if item.key.startswith("unlabelled."):
        return "unlabelled images"
    return next((g for g, keys in _GROUPS.items() if item.key in keys), _OTHER)


def _default_text(item: SettingField) -> str:
    s, value = item.setting, item.default
    if s.auto is not None and value == s.auto:
        return s.auto_word
    if item.kind is bool:
        return "on" if value else "off"
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _help(item: SettingField) -> str:
    allowed = "" if item.kind in (bool, str) and not item.setting.choices else allowed_text(item)
    window = f"Window: {item.setting.label}." if item.setting.in_window else "Not in the window."
    parts = [item.setting.help, window]
    if allowed and not item.setting.choices:
        parts.append(f"Allowed: {allowed}.")
    parts.append(f"Default: {_default_text(item)}.")
    return " ".join(parts).replace("%", "%%")  # argparse formats help with %


def _converter(item: SettingField) -> Any:
    def convert(text: str) -> Any:
        try:
            return parse_text(item, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _metavar(item: SettingField) -> str | None:
    if item.setting.choices:
        return None  # argparse shows {a,b,c}
    if item.key == "weights_file":
        return "FILE"
    if item.key == "unlabelled.folder":
        return "DIR"
    if item.kind is str:
        return "NAME"
    word = f"{item.setting.auto_word}|" if item.setting.auto is not None else ""
    return word + ("N" if item.kind is int else "X")


def add_train_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting, grouped as in the window; every flag defaults to None (not
    given), so a resumed run keeps its own values for the flags not given."""
    groups = {name: parser.add_argument_group(f"{name} settings") for name in (*_GROUPS, _OTHER)}
    for item in sorted(train_settings(), key=lambda i: list(groups).index(_group_of(i))):
        group = groups[_group_of(item)]
        common: dict[str, Any] = {"dest": _dest(item), "default": None, "help": _help(item)}
        if item.kind is bool:
            group.add_argument(item.flag, action=argparse.BooleanOptionalAction, **common)
        elif item.setting.choices:
            group.add_argument(item.flag, choices=item.setting.choices, **common)
        else:
            group.add_argument(item.flag, type=_converter(item), metavar=_metavar(item), **common)


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """{setting key: value} of the flags given on the command line."""
    given = {}
    for item in train_settings():
        value = getattr(args, _dest(item), None)
        if value is not None:
            given[item.key] = value
    return given
