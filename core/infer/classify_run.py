"""One classification of a folder as a stream of plain events, for a front end that shows
results as they come: what the window's classification process (core.infer.classify_worker)
runs, and what its events look like on the window's side.

`classify_run` loads the model (unless a kept one matches), lists the folder and iterates
core.infer.inference.classify_paths. Results are gathered and yielded in batches at most every
FLUSH_INTERVAL seconds, so 50,000 images make a few hundred events, not 50,000. It ends itself
when asked to stop (classify_paths checks the control before every file) and returns one
sentence about what it did. Importing this module does not import torch."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from core.control import RunControl
from core.errors import LoupeError
from core.infer.results import ClassifiedImage, ClassifyProgress, UnreadableImage
from core.words import format_duration

FLUSH_INTERVAL = 0.25  # s between result batches: each one relays out and repaints the grid
MAX_BUFFER = 4096  # results; flush earlier on a very fast device to bound latency


@dataclass(frozen=True)
class ModelLoaded:
    """The model was loaded (not reused from the previous run)."""

    path: str  # its folder, absolute
    device: str  # where it runs: "cpu", "cuda:0", ...


@dataclass(frozen=True)
class ImagesListed:
    count: int


@dataclass(frozen=True)
class ResultsBatch:
    results: list[ClassifiedImage] = field(default_factory=list)
    unreadable: list[UnreadableImage] = field(default_factory=list)
    progress: ClassifyProgress | None = None  # the latest at this batch


@dataclass(frozen=True)
class ClassifyRequest:
    """What to classify; plain data (it crosses into the classification process)."""

    model_path: str
    folder: str
    recursive: bool = True
    device: str = "auto"
    batch_size: int = 32


ClassifyRunEvent = ModelLoaded | ImagesListed | ResultsBatch


def model_key(path: str, device: str) -> tuple[str, float, str]:
    """What makes a loaded model reusable: its folder, its weights file's time, the device."""
    path = os.path.abspath(os.path.expanduser(path))
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    try:
        mtime = os.path.getmtime(os.path.join(folder, "model.safetensors"))
    except OSError:
        mtime = -1.0
    return folder, mtime, device


class ModelKeeper:
    """The last loaded model (a core.infer.inference.LoadedModel), kept for the next run with
    the same file and device: loading it again costs seconds."""

    def __init__(self) -> None:
        self._key: tuple[str, float, str] | None = None
        self._model: Any = None

    def get(self, path: str, device: str) -> Any:
        return self._model if self._key == model_key(path, device) else None

    def keep(self, path: str, device: str, model: Any) -> None:
        self._key, self._model = model_key(path, device), model

    def release(self) -> None:
        self._key = self._model = None


def classify_run(
    request: ClassifyRequest,
    control: RunControl,
    keeper: ModelKeeper | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Iterator[ClassifyRunEvent]:
    """Classify `request.folder`; yields ModelLoaded (when loaded, not kept), ImagesListed,
    then ResultsBatch; returns the sentence that ends the run."""
    from core.infer.inference import classify_paths, list_images, load_model_for_inference

    started = clock()
    keeper = keeper or ModelKeeper()
    model = keeper.get(request.model_path, request.device)
    if model is None:
        keeper.release()  # the old model's (GPU) memory goes before the new one loads
        model = load_model_for_inference(request.model_path, request.device)
        keeper.keep(request.model_path, request.device, model)
        yield ModelLoaded(model.path, str(model.device))
    if control.stop_requested:
        return "Stopped before any image was classified."
    folder, recursive = request.folder, request.recursive
    try:
        paths = list_images(folder, recursive)
    except OSError as exc:
        raise LoupeError(f"Cannot read the folder {folder}: {exc.strerror or exc}") from exc
    yield ImagesListed(len(paths))
    if not paths:
        where = "in this folder or its subfolders" if recursive else "in this folder"
        return f"No images found {where}."
    batch = ResultsBatch()
    classified = unreadable = 0
    last_flush = clock()
    items = classify_paths(model, paths, batch_size=request.batch_size, control=control)
    for item in items:
        if isinstance(item, ClassifiedImage):
            batch.results.append(item)
            classified += 1
        elif isinstance(item, UnreadableImage):
            batch.unreadable.append(item)
            unreadable += 1
        else:
            batch = ResultsBatch(batch.results, batch.unreadable, item)
        now = clock()
        if now - last_flush >= FLUSH_INTERVAL or len(batch.results) >= MAX_BUFFER:
            yield batch
            batch, last_flush = ResultsBatch(), now
    if batch.results or batch.unreadable or batch.progress is not None:
        yield batch
    return ended_sentence(classified, unreadable, len(paths), clock() - started, control)


def ended_sentence(
    classified: int, unreadable: int, total: int, seconds: float, control: RunControl
) -> str:
    bad = f"; {unreadable:,} unreadable" if unreadable else ""
    if control.stop_requested:
        return f"Stopped: {classified:,} of {total:,} images classified{bad}."
    rate = classified / seconds if seconds > 0 else 0.0
    return (
        f"Classified {classified:,} images in {format_duration(seconds)} "
        f"({rate:,.0f} images/s){bad}."
    )
