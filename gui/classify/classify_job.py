"""Classifying a folder as a job for gui.jobs. Qt-free.

The job loads the model (unless a cached one is given), lists the folder and iterates
core.infer.inference.classify_paths. Results are gathered and yielded in batches at most
every FLUSH_INTERVAL seconds, so 50,000 images make a few hundred events, not 50,000.
torch is imported on the job's thread only (core.infer.inference imports it). It ends
itself when asked to stop (classify_paths checks the control before every file) and
returns one sentence about what it did: run it with stop_at_yield=False."""

from __future__ import annotations

import time
from collections.abc import Iterator
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
    model: Any  # core.infer.inference.LoadedModel: the page keeps it for the next run


@dataclass(frozen=True)
class ImagesListed:
    count: int


@dataclass(frozen=True)
class ResultsBatch:
    results: list[ClassifiedImage] = field(default_factory=list)
    unreadable: list[UnreadableImage] = field(default_factory=list)
    progress: ClassifyProgress | None = None  # the latest at this batch


def classify_job(
    model_path: str,
    folder: str,
    recursive: bool = True,
    device: str = "auto",
    batch_size: int = 32,
    loaded_model: Any = None,
):
    def job(control: RunControl) -> Iterator[object]:
        from core.infer.inference import classify_paths, list_images, load_model_for_inference

        started = time.perf_counter()
        model = loaded_model
        if model is None:
            model = load_model_for_inference(model_path, device)
            yield ModelLoaded(model)
        if control.stop_requested:
            return "Stopped before any image was classified."
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
        last_flush = time.perf_counter()
        for item in classify_paths(model, paths, batch_size=batch_size, control=control):
            if isinstance(item, ClassifiedImage):
                batch.results.append(item)
                classified += 1
            elif isinstance(item, UnreadableImage):
                batch.unreadable.append(item)
                unreadable += 1
            else:
                batch = ResultsBatch(batch.results, batch.unreadable, item)
            now = time.perf_counter()
            if now - last_flush >= FLUSH_INTERVAL or len(batch.results) >= MAX_BUFFER:
                yield batch
                batch, last_flush = ResultsBatch(), now
        if batch.results or batch.unreadable or batch.progress is not None:
            yield batch
        del model  # GPU memory on CUDA goes with the run, not with the page's last reference
        seconds = time.perf_counter() - started
        bad = f"; {unreadable:,} unreadable" if unreadable else ""
        if control.stop_requested:
            return f"Stopped: {classified:,} of {len(paths):,} images classified{bad}."
        rate = classified / seconds if seconds > 0 else 0.0
        return (
            f"Classified {classified:,} images in {format_duration(seconds)} "
            f"({rate:,.0f} images/s){bad}."
        )

    return job
