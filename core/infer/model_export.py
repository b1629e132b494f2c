"""Export a trained model for use outside Loupe: TorchScript, ONNX, or a plain model folder.

An export writes exactly its own output: the file named by `out` plus one sidecar named after
it (`OUT.json`: the model's description and its preprocessing), or for a folder export the two model
files inside `out`. It never replaces an existing file unless `force` is given, and never
writes a training run's own files (config.json, model.json, run.json, ...), even with force.
Every target is checked before anything is written.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from core.errors import LoupeError
from core.files.atomic import atomic_write_bytes
from core.files.file_transfer import describe_os_error
from core.files.run_folder import own_file_of
from core.infer.export_check import ParityResult, check_parity
from core.infer.export_formats import serialise, sidecar_bytes
from core.models.checkpoints import MODEL_META, MODEL_WEIGHTS, load_model, resolve_model_paths

FORMATS = ("torchscript", "onnx", "folder")
# What a file name's extension says it holds; a name with another extension needs a format.
EXTENSION_FORMATS = {
    ".onnx": "onnx",
    ".pt": "torchscript",
    ".ts": "torchscript",
    ".torchscript": "torchscript",
}
_FORMAT_NAMES = {"onnx": "ONNX", "torchscript": "TorchScript", "folder": "a model folder"}
_FILE_WORDS = {"onnx": "an ONNX file", "torchscript": "a TorchScript file"}


def export_format(out: str, fmt: str | None = None) -> str:
    """The format to export to `out`: `fmt` when given, else the one its extension names.
    Refuses a format the name contradicts (ONNX into model.pt) and a name that names none."""
    if fmt is not None and fmt not in FORMATS:
        raise LoupeError(f"Unknown export format '{fmt}': use {', '.join(FORMATS)}.")
    ext = os.path.splitext(out.rstrip("/\\"))[1].lower()
    named = EXTENSION_FORMATS.get(ext)
    if fmt is None:
        if named is None:
            raise LoupeError(
                f"Cannot tell the export format from {out}: end its name in .onnx or .pt, "
                "or add --format onnx|torchscript|folder."
            )
        return named
    if named is not None and named != fmt:
        raise LoupeError(
            f"Cannot export {_FORMAT_NAMES[fmt]} to {out}: its extension names "
            f"{_FILE_WORDS[named]}; change the extension or the format."
        )
    return fmt


def sidecar_path(out: str) -> str:
    """The model description written beside a TorchScript/ONNX file: `model.pt.json`."""
    return out + ".json"


def export_targets(out: str, fmt: str) -> list[str]:
    """Every path an export to `out` would write, in writing order."""
    out = os.path.abspath(os.path.expanduser(out))
    if fmt == "folder":
        return [os.path.join(out, MODEL_WEIGHTS), os.path.join(out, MODEL_META)]
    return [out, sidecar_path(out)]


def check_export_targets(out: str, fmt: str | None, force: bool = False) -> list[str]:
    """Refuse, in one sentence naming the path, any export that would overwrite a file
    (without `force`), write into a training run's files, or cannot be written at all, and a
    format its name contradicts (see export_format)."""
    fmt = export_format(out, fmt)
    out = os.path.abspath(os.path.expanduser(out))
    if fmt == "folder":
        if os.path.exists(out) and not os.path.isdir(out):
            raise LoupeError(f"Cannot export a model folder to {out}: it is a file.")
        parent = os.path.dirname(out)
    else:
        if os.path.isdir(out):
            raise LoupeError(
                f"Cannot export to {out}: it is a folder; name the file, e.g. "
                f"{os.path.join(out, 'model.' + ('onnx' if fmt == 'onnx' else 'pt'))}."
            )
        parent = os.path.dirname(out)
    if not os.path.isdir(parent):
        raise LoupeError(f"Cannot export to {out}: the folder {parent} does not exist.")
    targets = export_targets(out, fmt)
    for target in targets:
        folder = own_file_of(target)
        if folder is not None:
            raise LoupeError(
                f"Refusing to export to {target}: it is a file of the training run in "
                f"{folder}. Export somewhere else."
            )
        if os.path.isdir(target):
            raise LoupeError(f"Cannot export to {target}: a folder has that name.")
        if os.path.lexists(target) and not force:
            raise LoupeError(
                f"{target} already exists: export to a new name, or replace it ('Replace an "
                "existing file' in the window, --force on the command line)."
            )
    return targets


@dataclass(frozen=True)
class ExportResult:
    path: str
    parity: ParityResult | None  # None for a folder export (a copy of the model files)
    format: str  # one of FORMATS: the one asked for, or the one the file name says


class ParityError(LoupeError):
    """The exported model does not compute what the PyTorch model computes."""

    def __init__(self, parity: ParityResult) -> None:
        super().__init__(
            f"{parity.line()}: the exported model disagrees with PyTorch, so nothing was written."
        )
        self.parity = parity


def export_model(model_path: str, out: str, fmt: str | None = None, force: bool = False) -> str:
    """Returns the written path (see export_verified)."""
    return export_verified(model_path, out, fmt, force).path


def export_verified(
    model_path: str, out: str, fmt: str | None = None, force: bool = False
) -> ExportResult:
    """Export and prove it: the serialised model is run on up to 64 validation images of the
    run and compared with PyTorch before anything is written (ParityError when it disagrees).
    TorchScript and ONNX take normalised float input (N, 3, S, S); the sidecar `OUT.json`
    says how to make it and what the logits mean. Without `fmt`, `out`'s extension names
    the format (.onnx, .pt)."""
    fmt = export_format(out, fmt)
    targets = check_export_targets(out, fmt, force)
    meta_path, weights_path = resolve_model_paths(model_path)
    sources = {os.path.realpath(p) for p in (meta_path, weights_path)}
    if any(os.path.realpath(t) in sources for t in targets):
        raise LoupeError(f"Cannot export {model_path} onto itself ({targets[0]}).")
    with open(meta_path, "rb") as f:
        meta_bytes = f.read()
    if fmt == "folder":
        with open(weights_path, "rb") as f:
            payloads = [f.read(), meta_bytes]
        out_dir = os.path.dirname(targets[0])
        created_folder = not os.path.exists(out_dir)
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as exc:
            raise LoupeError(f"Cannot create {out_dir} ({describe_os_error(exc)}).") from exc
        _write_all(targets, payloads, force, out_dir if created_folder else None)
        return ExportResult(out_dir, None, fmt)
    model, meta = load_model(model_path)
    data = serialise(model, meta, fmt)
    run_dir = os.path.dirname(meta_path)
    parity = check_parity(model, meta, data, fmt, run_dir)
    if not parity.ok:
        raise ParityError(parity)
    sidecar = sidecar_bytes(meta, fmt, os.path.basename(targets[0]), parity.to_dict())
    _write_all(targets, [data, sidecar], force, None)
    return ExportResult(targets[0], parity, fmt)


def _write_all(
    targets: list[str], payloads: list[bytes], force: bool, created_folder: str | None
) -> None:
    """Write each target atomically; if one fails, remove those this export created."""
    written: list[str] = []
    try:
        for target, data in zip(targets, payloads, strict=True):
            atomic_write_bytes(target, data, overwrite=force)
            written.append(target)
    except OSError as exc:
        if not force:  # the files written so far are new: take them back
            for path in written:
                with contextlib.suppress(OSError):
                    os.remove(path)
            if created_folder:
                with contextlib.suppress(OSError):
                    os.rmdir(created_folder)
        if isinstance(exc, FileExistsError):
            raise LoupeError(
                f"{target} appeared while exporting: nothing was replaced. Export again."
            ) from exc
        raise LoupeError(f"Cannot write {target} ({describe_os_error(exc)}).") from exc
