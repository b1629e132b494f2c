"""A model as ONNX or TorchScript bytes (built in memory: nothing is written if it fails),
and the sidecar JSON that tells another program how to feed it.

Both formats take a dynamic batch of normalised float images (N, 3, S, S) and return
logits (N, C). The exporters' own chatter (deprecation notices, tracer warnings, progress
prints) is kept from the user: the parity check afterwards is what says the export is good."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from typing import Any

import torch
from torch import nn

from core.errors import LoupeError
from core.models.checkpoints import ModelMeta

INPUT_NAME = "image"
OUTPUT_NAME = "logits"
# An example batch of 2: exporters specialise a dimension of size 1 as a constant.
EXAMPLE_BATCH = 2


@contextlib.contextmanager
def _quiet():
    """No warnings, prints or log lines from the exporters reach the user's terminal."""
    loggers = [logging.getLogger(name) for name in ("torch", "torch.onnx", "torch.export")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.CRITICAL)
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _example(meta: ModelMeta) -> torch.Tensor:
    return torch.zeros(EXAMPLE_BATCH, 3, meta.image_size, meta.image_size)


def torchscript_bytes(model: nn.Module, meta: ModelMeta) -> bytes:
    buffer = io.BytesIO()
    with _quiet(), torch.no_grad():
        traced = torch.jit.trace(model.eval(), _example(meta))
        torch.jit.save(traced, buffer)
    return buffer.getvalue()


def onnx_bytes(model: nn.Module, meta: ModelMeta) -> bytes:
    """torch.export-based exporter first (the supported one); the older TorchScript-based
    exporter for models torch.export cannot capture. Raises LoupeError when both fail."""
    model = model.eval()
    errors = []
    try:
        with _quiet():
            program = torch.onnx.export(
                model,
                (_example(meta),),
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_shapes=({0: torch.export.Dim("batch")},),
                dynamo=True,
                verbose=False,
            )
        return program.model_proto.SerializeToString()
    except Exception as exc:  # torch.export's many ways to give up; try the older exporter
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    buffer = io.BytesIO()
    try:
        with _quiet():
            torch.onnx.export(
                model,
                (_example(meta),),
                buffer,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
                dynamo=False,
            )
        return buffer.getvalue()
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    raise LoupeError(
        f"ONNX export of {meta.arch} failed ({'; '.join(errors)}). Export TorchScript instead."
    )


def serialise(model: nn.Module, meta: ModelMeta, fmt: str) -> bytes:
    if fmt == "torchscript":
        return torchscript_bytes(model, meta)
    if fmt == "onnx":
        return onnx_bytes(model, meta)
    raise LoupeError(f"Unknown export format '{fmt}'.")


def sidecar_bytes(meta: ModelMeta, fmt: str, file_name: str, parity: dict | None) -> bytes:
    """model.json's description plus how to feed the exported file and what it returns."""
    size = meta.image_size
    crop = (
        f"shorter side resized to {size} px, then the centre {size}x{size} square"
        if meta.resize_mode == "crop"
        else f"stretched to {size}x{size} px"
    )
    export: dict[str, Any] = {
        "file": file_name,
        "format": fmt,
        "input": {"name": INPUT_NAME, "shape": ["batch", 3, size, size], "dtype": "float32"},
        "output": {"name": OUTPUT_NAME, "shape": ["batch", len(meta.class_names)]},
        "preprocessing": (
            f"RGB image, {crop} (bilinear); values scaled to 0..1; per channel "
            "(x - mean) / std with the mean and std below; channels first (N, 3, H, W)."
        ),
        "mean": list(meta.mean),
        "std": list(meta.std),
        "class_names": list(meta.class_names),
        "probabilities": "softmax(logits / temperature) over the classes, in class_names order",
        "temperature": meta.temperature,
        "parity": parity,
    }
    return (json.dumps({**meta.raw, "export": export}, indent=2) + "\n").encode("utf-8")
