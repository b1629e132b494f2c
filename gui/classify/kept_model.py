"""The classification process and the model it holds, kept for the next classification:
starting the process costs a torch import and loading the model seconds, and on a GPU the
model holds memory (the window lets both go when training starts, and when it closes).
Qt-free."""

from __future__ import annotations

import os

from core.infer.classify_process import ClassifyProcess
from core.infer.classify_run import ModelLoaded


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
        self.process = ClassifyProcess()
        # What the process holds: folder, mtime, device, the ModelLoaded it reported.
        self._kept: tuple[str, float, str, object] | None = None
        self.closed = False  # the page shut down: no process starts again

    def warm_up(self) -> None:
        """Start the process ahead of the first classification: it imports torch meanwhile."""
        if not self.closed:
            self.process.start()

    def keep(self, loaded: ModelLoaded, device: str) -> None:
        """The process loaded `loaded.path` for `device` (the page's device key)."""
        # loaded.path, not the page's choice: the user may have picked another model meanwhile.
        self._kept = (model_folder(loaded.path), _model_mtime(loaded.path), device, loaded)

    def get(self, path: str, device: str) -> object | None:
        """The kept model's ModelLoaded when it is `path`'s, unchanged on disk, on `device`."""
        if self._kept is None or not self.process.running():
            return None
        folder, mtime, kept_device, loaded = self._kept
        same_file = folder == model_folder(path) and mtime == _model_mtime(path)
        return loaded if same_file and kept_device == device else None

    def release(self, wait: bool = True) -> None:
        """End the process: its memory (and GPU memory) goes back. `wait=False`: return at
        once (the process exits by itself once its stdin closes; a thread makes sure)."""
        self._kept = None
        self.process.end(wait=wait)

    def close(self) -> None:
        """The page shuts down: end the process and wait until it has."""
        self.closed = True
        self.release(wait=True)
