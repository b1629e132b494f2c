"""Model files and resumable checkpoints, all written atomically.

A Loupe model is two files: model.safetensors (tensors only: loading cannot run code) and
model.json beside it (architecture, class names in index order, image size, normalisation,
best metrics). last.ckpt holds what resuming needs and is read with weights_only=True.

This module is the one place that knows the format: file names, resolving a path to them,
and reading model.json (`read_model_meta`, used by the engine, the CLI and the window). It
imports torch only inside the functions that save or load tensors, so the window can describe
a model before torch has loaded."""

from __future__ import annotations

import io
import json
import math
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core import __version__
from core.errors import LoupeError, ModelFileError
from core.files.atomic import atomic_write_bytes, atomic_write_json
from core.infer.temperature import temperature_from_meta
from core.models.tensor_files import load_safetensors, load_tensor_file

MODEL_FORMAT = "loupe-model"
# 2: simple_cnn is the tutorial's network exactly (format 1 padded its first convolution).
MODEL_FORMAT_VERSION = 2
MODEL_WEIGHTS = "model.safetensors"
MODEL_META = "model.json"
LAST_CKPT = "last.ckpt"

if TYPE_CHECKING:  # torch loads only when tensors are saved or loaded
    import torch
    from torch import nn


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}


def save_model(model: nn.Module, folder: str, meta: dict[str, Any]) -> str:
    """Write model.safetensors then model.json (the JSON last: a folder whose JSON exists
    always has weights that match it)."""
    from safetensors.torch import save

    data = save(_cpu_state(model), metadata={"format": MODEL_FORMAT})
    weights_path = os.path.join(folder, MODEL_WEIGHTS)
    atomic_write_bytes(weights_path, data)
    full_meta = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "loupe_version": __version__,
        "saved": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "weights": MODEL_WEIGHTS,
        **meta,
    }
    atomic_write_json(os.path.join(folder, MODEL_META), full_meta)
    return weights_path


@dataclass(frozen=True)
class ModelMeta:
    arch: str
    class_names: list[str]
    image_size: int
    resize_mode: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    raw: dict[str, Any]
    temperature: float = 1.0  # divides the logits before the softmax (core.infer.calibration)

    @property
    def val_acc(self) -> float | None:
        best = self.raw.get("best")
        acc = best.get("val_acc") if isinstance(best, dict) else None
        return float(acc) if isinstance(acc, int | float) and not isinstance(acc, bool) else None

    def summary(self) -> dict[str, Any]:
        """Plain data for the window and for results files: arch, class_names, image_size,
        val_acc."""
        return {
            "arch": self.arch,
            "class_names": list(self.class_names),
            "image_size": self.image_size,
            "val_acc": self.val_acc,
        }


def resolve_model_paths(path: str) -> tuple[str, str]:
    """(model.json, model.safetensors) from a run folder, a model folder or either file."""
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(path):
        folder = path
    elif os.path.isfile(path) and path.endswith((".json", ".safetensors")):
        folder = os.path.dirname(path)
    elif not os.path.exists(path):
        raise ModelFileError(f"Model not found: {path}")
    else:
        raise ModelFileError(
            f"{path}: not a Loupe model (choose a run folder or its model.safetensors/model.json)."
        )
    meta_path = os.path.join(folder, MODEL_META)
    weights_path = os.path.join(folder, MODEL_WEIGHTS)
    if path.endswith(".safetensors"):
        weights_path = path
    for p in (meta_path, weights_path):
        if not os.path.isfile(p):
            raise ModelFileError(
                f"{folder}: no {os.path.basename(p)} (has this run saved a model yet?)"
            )
    return meta_path, weights_path


# What a model.json may say. Wider than training allows (16-1024 px), so a model made by a
# later Loupe or by hand still loads, but never what would exhaust memory at the first image.
MODEL_IMAGE_SIZE_RANGE = (8, 2048)
MAX_CLASSES = 100_000
RESIZE_MODES = ("crop", "squash")


def _meta_problem(raw: dict[str, Any]) -> str | None:
    """The first thing wrong with a parsed model.json, as "'field' must be ..."; None if fine."""
    version = raw.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return f"'format_version' must be a whole number from 1, not {version!r}"
    arch = raw.get("arch")
    if not isinstance(arch, str) or not arch.strip():
        return f"'arch' must name an architecture, not {arch!r}"
    names = raw.get("class_names")
    if (
        not isinstance(names, list)
        or not 1 <= len(names) <= MAX_CLASSES
        or not all(isinstance(n, str) for n in names)
    ):
        return "'class_names' must be a non-empty list of names"
    if len(set(names)) != len(names):
        return "'class_names' lists a name twice"
    count = raw.get("num_classes", len(names))
    if count != len(names) or isinstance(count, bool):
        return f"'num_classes' is {count!r} but 'class_names' lists {len(names)}"
    size = raw.get("image_size")
    low, high = MODEL_IMAGE_SIZE_RANGE
    if isinstance(size, bool) or not isinstance(size, int) or not low <= size <= high:
        return f"'image_size' must be a whole number of pixels from {low} to {high}, not {size!r}"
    mode = raw.get("resize_mode", "crop")
    if mode not in RESIZE_MODES:
        return f"'resize_mode' must be one of {', '.join(RESIZE_MODES)}, not {mode!r}"
    norm = raw.get("normalization", {})
    if not isinstance(norm, dict):
        return "'normalization' must be an object with 'mean' and 'std'"
    for key in ("mean", "std"):
        values = norm.get(key, [0.5, 0.5, 0.5])
        if (
            not isinstance(values, list)
            or len(values) != 3
            or not all(_finite_number(v) for v in values)
        ):
            return f"'normalization.{key}' must be three finite numbers, not {values!r}"
        if key == "std" and not all(v > 0 for v in values):  # divides: 0 gives inf/nan
            return f"'normalization.std' must be above zero, not {values!r}"
    try:
        temperature_from_meta(raw)
    except ValueError as exc:
        return str(exc)
    return None


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_model_meta(path: str) -> ModelMeta:
    """The model.json of a run folder, a model folder or either model file, checked field by
    field: a missing, malformed or hostile file is refused with ModelFileError, one sentence
    naming the file and the field, before anything is built from it."""
    meta_path = path if path.endswith(".json") else resolve_model_paths(path)[0]
    try:
        with open(meta_path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{meta_path}: not valid JSON ({exc}).") from exc
    if not isinstance(raw, dict) or raw.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{meta_path}: not a Loupe model description.")
    version = raw.get("format_version", 1)
    if isinstance(version, int) and version > MODEL_FORMAT_VERSION:
        raise ModelFileError(
            f"{meta_path}: written by a newer Loupe (format {version}); update Loupe."
        )
    problem = _meta_problem(raw)
    if problem:
        raise ModelFileError(f"{meta_path}: {problem}.")
    norm = raw.get("normalization", {})
    return ModelMeta(
        arch=raw["arch"],
        class_names=list(raw["class_names"]),
        image_size=raw["image_size"],
        resize_mode=raw.get("resize_mode", "crop"),
        mean=tuple(float(v) for v in norm.get("mean", (0.485, 0.456, 0.406))),
        std=tuple(float(v) for v in norm.get("std", (0.229, 0.224, 0.225))),
        raw=raw,
        temperature=temperature_from_meta(raw),
    )


def load_model(path: str) -> tuple[nn.Module, ModelMeta]:
    """Build the architecture named in model.json and load the safetensors weights (CPU)."""
    import torch

    from core.models.registry import build_model

    meta_path, weights_path = resolve_model_paths(path)
    meta = read_model_meta(meta_path)
    try:
        if meta.arch == "simple_cnn" and meta.raw.get("format_version", 1) < 2:
            # Same tensors as today's simple_cnn but a padded first convolution: building
            # today's network would load cleanly and answer wrongly.
            from core.models.small_cnns import SimpleCNN

            model = SimpleCNN(len(meta.class_names), first_padding=2)
        else:
            model = build_model(meta.arch, len(meta.class_names))
    except LoupeError as exc:
        raise ModelFileError(f"{meta_path}: {exc}") from exc
    state = load_safetensors(weights_path)
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ModelFileError(
                f"{weights_path}: tensor '{name}' holds NaN or infinite values, so every "
                "answer would be meaningless (did its training diverge?)."
            )
    mismatch = f"{weights_path} does not match {meta.arch} with {len(meta.class_names)} classes"
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # tensors of the wrong shape
        first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise ModelFileError(f"{mismatch} ({first}).") from exc
    if result.missing_keys or result.unexpected_keys or not state:
        raise ModelFileError(
            f"{mismatch} (missing {len(result.missing_keys)} tensors, "
            f"unexpected {len(result.unexpected_keys)})."
        )
    model.eval()
    return model, meta


def save_checkpoint(path: str, payload: dict[str, Any]) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(path: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        raise LoupeError(
            f"Cannot resume: {path} does not exist (was the run started with --out here?)."
        )
    ckpt = load_tensor_file(path, "Cannot resume: ")
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), dict):
        raise ModelFileError(f"Cannot resume: {path} is not a Loupe checkpoint.")
    return ckpt
