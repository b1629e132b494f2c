"""Classify images with a saved Loupe model, as a stream: files are decoded in parallel a
bounded number ahead, inferred in batches under torch.inference_mode, and results are
yielded as they come, so 100,000 files run in constant memory."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.control import RunControl
from core.data.augment import normalize
from core.data.imaging import is_image_name, load_square
from core.device import (
    Precision,
    choose_precision,
    configure_backends,
    release_memory,
    resolve_device,
    use_device,
)
from core.errors import ImageLoadError
from core.files.sort_manifest import holds_sort
from core.infer.calibration import softmax_with_temperature
from core.infer.results import ClassifiedImage, ClassifyProgress, UnreadableImage
from core.models.checkpoints import ModelMeta, load_model
from core.train.batch_backoff import can_back_off
from core.train.evaluation import autocast

ClassifyEvent = ClassifiedImage | UnreadableImage | ClassifyProgress


@dataclass
class LoadedModel:
    model: nn.Module
    meta: ModelMeta
    device: torch.device
    precision: Precision
    path: str

    @property
    def temperature(self) -> float:
        return self.meta.temperature

    @property
    def class_names(self) -> list[str]:
        return self.meta.class_names

    @property
    def image_size(self) -> int:
        return self.meta.image_size


def load_model_for_inference(path: str, device: str = "auto") -> LoadedModel:
    """A run folder, model folder or model.safetensors -> a model ready on `device`.
    Call it on the thread that will classify: the chosen GPU becomes that thread's current
    device (pinned batches and cuDNN then stay off GPU 0 when `device` is cuda:1)."""
    model, meta = load_model(path)
    dev = resolve_device(device)
    use_device(dev)
    configure_backends(dev)
    model = model.to(dev).to(memory_format=torch.channels_last).eval()
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    return LoadedModel(model, meta, dev, choose_precision(dev, "auto"), os.path.abspath(folder))


def list_images(folder: str, recursive: bool = True, skipped: list[str] | None = None) -> list[str]:
    """Image files under `folder` (hidden files and folders skipped), sorted by path.
    Subfolders that are Loupe sort destinations (they hold a sort manifest) are skipped too,
    and appended to `skipped`: sorting into a folder inside the source must not make the next
    run classify every sorted copy again."""
    found: list[str] = []
    if not recursive:
        with os.scandir(folder) as entries:
            found = [
                e.path
                for e in entries
                if e.is_file() and not e.name.startswith(".") and is_image_name(e.name)
            ]
        return sorted(found)
    for dirpath, dirnames, filenames in os.walk(folder):
        if dirpath != folder and holds_sort(filenames):
            dirnames[:] = []
            if skipped is not None:
                skipped.append(dirpath)
            continue
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found.extend(
            os.path.join(dirpath, f)
            for f in filenames
            if not f.startswith(".") and is_image_name(f)
        )
    return sorted(found)


def _decode_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@torch.inference_mode()
def _logits(lm: LoadedModel, arrays: list[np.ndarray]) -> torch.Tensor:
    """Raw logits (N, C) as float32 on the CPU: one sync point per batch."""
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    if lm.device.type == "cuda":
        x = x.pin_memory().to(lm.device, non_blocking=True)
    else:
        x = x.to(lm.device)
    with autocast(lm.device, lm.precision):
        logits = lm.model(normalize(x, lm.meta.mean, lm.meta.std))
    return logits.float().cpu()


@dataclass(frozen=True)
class LogitsBatch:
    """One batch of decoded images and the model's raw logits (before the temperature)."""

    paths: list[str]
    logits: torch.Tensor  # (N, C) float32, CPU


def ranked_results(lm: LoadedModel, batch: LogitsBatch, top_k: int) -> Iterator[ClassifiedImage]:
    """Calibrated probabilities (the model's temperature applied), best classes first."""
    probs = softmax_with_temperature(batch.logits, lm.temperature)
    top = torch.topk(probs, min(top_k, probs.shape[1]), dim=1)
    names = lm.class_names
    for path, vals, idxs in zip(batch.paths, top.values.tolist(), top.indices.tolist()):
        ranked = tuple((names[i], float(v)) for v, i in zip(vals, idxs))
        yield ClassifiedImage(path, ranked[0][0], ranked[0][1], ranked)


def classify_paths(
    lm: LoadedModel,
    paths: Sequence[str],
    batch_size: int = 32,
    top_k: int = 5,
    control: RunControl | None = None,
    workers: int | None = None,
) -> Iterator[ClassifyEvent]:
    """Yields a ClassifiedImage or UnreadableImage per file (in input order within each
    batch) and a ClassifyProgress after each batch. Stops at the next file once
    `control.request_stop()` is called."""
    for item in logit_batches(lm, paths, batch_size, control, workers):
        if isinstance(item, LogitsBatch):
            yield from ranked_results(lm, item, top_k)
        else:
            yield item


def logit_batches(
    lm: LoadedModel,
    paths: Sequence[str],
    batch_size: int = 32,
    control: RunControl | None = None,
    workers: int | None = None,
) -> Iterator[LogitsBatch | UnreadableImage | ClassifyProgress]:
    """The streaming engine under classify_paths: decodes ahead in threads, infers in
    batches of the readable images among each `batch_size` files, and yields each batch's
    raw logits (then a ClassifyProgress), or an UnreadableImage per file that cannot be
    decoded."""
    use_device(lm.device)  # a model loaded by an earlier run may be used on a new thread
    size, mode = lm.image_size, lm.meta.resize_mode
    total = len(paths)

    def decode(path: str) -> tuple[str, np.ndarray | None, str | None]:
        try:
            return path, load_square(path, size, mode), None
        except ImageLoadError as exc:
            return path, None, exc.reason
        except OSError as exc:
            return path, None, f"unreadable: {exc.strerror or exc}"

    done = 0
    t0 = time.perf_counter()
    batch_paths: list[str] = []
    batch_arrays: list[np.ndarray] = []

    notes: list[str] = []

    def flush() -> LogitsBatch:
        nonlocal batch_size
        parts: list[torch.Tensor] = []
        while sum(len(p) for p in parts) < len(batch_arrays):
            start = sum(len(p) for p in parts)
            chunk = batch_arrays[start : start + batch_size]
            try:
                logits = _logits(lm, chunk)
            except Exception as exc:
                if not can_back_off(exc, batch_size):
                    raise
                logits = None  # the failed batch's memory goes with the exception here
            if logits is None:
                release_memory(lm.device)
                # Half of what failed: a batch holding unreadable files is smaller.
                batch_size = max(1, min(batch_size, len(chunk)) // 2)
                notes.append(
                    f"The {lm.device.type.upper()} ran out of memory at batch size "
                    f"{len(chunk)}: continuing with batch size {batch_size}."
                )
                continue  # the same images again, in smaller batches
            parts.append(logits)
        batch = LogitsBatch(list(batch_paths), torch.cat(parts))
        batch_paths.clear()
        batch_arrays.clear()
        return batch

    def progress() -> ClassifyProgress:
        elapsed = max(time.perf_counter() - t0, 1e-9)
        ips = done / elapsed
        note = " ".join(notes)
        notes.clear()
        eta = (total - done) / ips if ips > 0 else 0.0
        return ClassifyProgress(done, total, ips, eta, note)

    # Batches are cut every `grid` files of `paths`, unreadable ones included, never by how
    # many images decoded: a batch then holds the same images whatever came before it, so
    # `classify --shard` parts (cut on this grid) reproduce the single run's numbers (a
    # network's float results depend slightly on the rest of the batch).
    grid = batch_size
    ahead = batch_size * 3  # decoded images in flight: bounds memory whatever the folder size
    with ThreadPoolExecutor(workers or _decode_workers()) as pool:
        queue: deque = deque()
        source = iter(paths)

        def fill() -> None:
            while len(queue) < ahead:
                path = next(source, None)
                if path is None:
                    return
                queue.append(pool.submit(decode, path))

        fill()
        try:
            while queue:
                if control is not None and control.checkpoint():
                    break
                path, array, reason = queue.popleft().result()
                fill()
                done += 1
                if array is None:
                    yield UnreadableImage(path, reason or "unreadable")
                else:
                    batch_paths.append(path)
                    batch_arrays.append(array)
                if done % grid == 0 and batch_arrays:
                    yield flush()
                    yield progress()
            if batch_arrays and not (control is not None and control.stop_requested):
                yield flush()
            yield progress()
        finally:
            for future in queue:
                future.cancel()


def classify_folder(
    lm: LoadedModel, folder: str, recursive: bool = True, **kwargs
) -> Iterator[ClassifyEvent]:
    yield from classify_paths(lm, list_images(folder, recursive), **kwargs)
