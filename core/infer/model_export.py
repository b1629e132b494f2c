"""Export a trained model for use outside Loupe: TorchScript, ONNX, or a plain model folder."""

from __future__ import annotations

import os
import shutil
import warnings

import torch

from core.errors import LoupeError
from core.files.atomic import atomic_write_bytes
from core.models.checkpoints import MODEL_META, MODEL_WEIGHTS, load_model, resolve_model_paths


def export_model(model_path: str, out: str, fmt: str = "torchscript") -> str:
    """Returns the written path. TorchScript and ONNX take normalised float input
    (N, 3, S, S); the class names and normalisation are in the model.json written beside."""
    meta_path, weights_path = resolve_model_paths(model_path)
    if fmt == "folder":
        os.makedirs(out, exist_ok=True)
        for src, name in ((weights_path, MODEL_WEIGHTS), (meta_path, MODEL_META)):
            with open(src, "rb") as f:
                atomic_write_bytes(os.path.join(out, name), f.read())
        return out
    model, meta = load_model(model_path)
    example = torch.zeros(1, 3, meta.image_size, meta.image_size)
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    if fmt == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TorchScript's deprecation notice
            traced = torch.jit.trace(model, example)
        tmp = out + ".tmp"
        traced.save(tmp)
        os.replace(tmp, out)
    elif fmt == "onnx":
        tmp = out + ".tmp"
        try:
            torch.onnx.export(
                model,
                (example,),
                tmp,
                input_names=["image"],
                output_names=["logits"],
                dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                dynamo=False,
            )
        except Exception as exc:  # the exporter needs optional packages (onnx, onnxscript)
            if os.path.exists(tmp):
                os.remove(tmp)
            raise LoupeError(
                f"ONNX export failed ({type(exc).__name__}: {exc}). "
                "Install the 'onnx' package, or export TorchScript instead."
            ) from exc
        os.replace(tmp, out)
    else:
        raise LoupeError(f"Unknown export format '{fmt}': use torchscript, onnx or folder.")
    shutil.copyfile(meta_path, os.path.splitext(out)[0] + ".json")
    return out
