"""The model of the last classification, kept for the next one: loading it again costs
seconds, and on a GPU it holds memory (the window lets it go when training starts).
Qt-free."""

from __future__ import annotations

import os
from typing import Any


def model_folder(path: str) -> str:
    """The folder holding model.json, from a run folder, model folder or either model file."""
    path = os.path.abspath(os.path.expanduser(path))
    return path if os.path.isdir(path) else os.path.dirname(path)


def _model_mtime(path: str) -> float:
    try:
        return os.path.getmtime(os.path.join(model_folder(path), "model.safetensors"))
    except OSError:
        return -1.0


class KeptModel:
    def __init__(self) -> None:
        self._kept: tuple[str, float, str, Any] | None = None  # folder, mtime, device, model

    def keep(self, model: Any, device: str) -> None:
        """`model`: a core.infer.inference.LoadedModel, loaded on `device`."""
        # model.path, not the page's choice: the user may have picked another model meanwhile.
        self._kept = (model_folder(model.path), _model_mtime(model.path), device, model)

    def get(self, path: str, device: str) -> Any:
        """The kept model when it is `path`'s, unchanged on disk, on `device`; else None."""
        if self._kept is None:
            return None
        folder, mtime, kept_device, model = self._kept
        same_file = folder == model_folder(path) and mtime == _model_mtime(path)
        return model if same_file and kept_device == device else None

    def release(self) -> None:
        self._kept = None
