"""Reading tensor files a user or a run gives Loupe (start weights, checkpoints) without ever
running code from them: safetensors, or torch.load with weights_only=True. A file refused is
named in one sentence with the reason."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from core.errors import ModelFileError

if TYPE_CHECKING:  # torch loads inside the functions: importing this module stays light
    import torch


def load_safetensors(path: str) -> dict[str, torch.Tensor]:
    """A .safetensors file's tensors (the format cannot hold code); a file it refuses is
    named in one sentence with the reason."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        if os.path.getsize(path) == 0:
            raise ModelFileError(f"{path} is empty.")
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(
            f"{path} is not a valid safetensors file, or it is truncated or damaged ({reason})."
        ) from exc


# A torch.save file is a zip archive (PyTorch 1.6 and later) or, older, a pickle stream.
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_MAGIC = b"\x80"  # the PROTO opcode that starts every pickle of protocol 2 or later


def load_tensor_file(path: str, context: str = "") -> Any:
    """torch.load with weights_only=True: tensors and plain containers only, never code.
    A file it refuses is named in one sentence with the reason (`context` starts it), never
    torch's own multi-line advice to load it unsafely."""
    import pickle
    import warnings

    import torch

    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(len(_ZIP_MAGIC))
    except OSError as exc:
        raise ModelFileError(f"{context}cannot read {path} ({exc.strerror or exc}).") from exc
    if size == 0:
        raise ModelFileError(f"{context}{path} is empty.")
    try:
        with warnings.catch_warnings():  # "Detected pickle protocol 4 ...": the error says more
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, OSError, EOFError, KeyError, ...
        if isinstance(exc, pickle.UnpicklingError) and head.startswith((_ZIP_MAGIC, _PICKLE_MAGIC)):
            problem = (
                f"{path}: not a plain tensor file: it holds Python objects, which Loupe "
                "never unpickles"
            )
        elif head.startswith((_ZIP_MAGIC, _PICKLE_MAGIC)):
            problem = f"{path} is truncated or damaged"
        else:
            problem = f"{path} is not a PyTorch tensor file (.pt/.pth), or it is damaged"
        raise ModelFileError(f"{context}{problem}.") from exc
