"""The dataset's labelled images for a run, before its first step: scanned on a helper thread
(progress, warnings, a refusal without two classes or without both splits), then decoded once
into a cache (on the GPU when it fits there, else in RAM) or, over the cache budget, streamed
from disk by loader workers. core.train.setup calls it; the unlabelled images of a
semi-supervised run have their own loader (core.train.unlabelled_data)."""

from __future__ import annotations

import os
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import torch

from core.control import RunControl
from core.data.batches import CachedSource, StreamingSource, cache_bytes
from core.data.datasets import DatasetScan, add_skipped, scan_dataset
from core.device import is_out_of_memory, memory_hint, release_memory
from core.errors import LoupeError
from core.events import LogMessage, TrainEvent
from core.train.config import TrainConfig
from core.train.progress_log import (
    PROGRESS_SECONDS,
    SHOWN_SKIPPED,
    decoded_with_progress,
)


def _workers(cfg: TrainConfig) -> int:
    if cfg.num_workers >= 0:
        return cfg.num_workers
    cpus = os.cpu_count() or 1
    return max(0, min(6, cpus - 1))  # leave a core for the training loop and the window


def scan_labelled(cfg: TrainConfig) -> Generator[TrainEvent, None, DatasetScan]:
    """Scan on a helper thread so that a big folder (or a network drive) reports progress."""
    yield LogMessage("info", f"Scanning {os.path.abspath(cfg.data_dir)} ...")
    progress = [0, 0]

    def on_progress(done: int, total: int) -> None:
        progress[:] = [done, total]

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(scan_dataset, cfg.data_dir, cfg.val_split, cfg.seed, on_progress)
        while True:
            try:
                scan = future.result(timeout=PROGRESS_SECONDS)
                break
            except FutureTimeout:
                done, total = progress
                if total:
                    yield LogMessage("info", f"Checked {done:,} of {total:,} files ...")
    report = scan.report
    yield LogMessage(
        "info",
        f"Found {len(report.class_names)} classes, {len(scan.train)} training and "
        f"{len(scan.val)} validation images ({report.layout} layout).",
    )
    for w in report.warnings:
        yield LogMessage("warning", w)
    for skipped in report.skipped[:SHOWN_SKIPPED]:
        yield LogMessage("warning", f"Skipped {skipped.path}: {skipped.reason}")
    if len(report.skipped) > SHOWN_SKIPPED:
        yield LogMessage(
            "warning", f"... and {len(report.skipped) - SHOWN_SKIPPED} more skipped files."
        )
    if len(report.class_names) < 2:
        raise LoupeError(f"{cfg.data_dir}: training needs at least two classes (subfolders).")
    if not scan.train or not scan.val:
        raise LoupeError(
            f"{cfg.data_dir}: need images for both training and validation "
            f"(have {len(scan.train)} and {len(scan.val)})."
        )
    return scan


def labelled_sources(
    cfg: TrainConfig, scan: DatasetScan, device: torch.device, control: RunControl, copies: int
) -> Generator[TrainEvent, None, tuple | None]:
    """(train, val) sources of `scan`'s images, or None when stopped while decoding. `copies`:
    the processes of the run on this machine."""
    size = cfg.image_size
    samples = scan.train + scan.val
    need = cache_bytes(len(samples), size)
    # Each process of a data-parallel run on this machine holds its own cache.
    if need * copies > cfg.cache_memory_mb * 2**20:
        workers = _workers(cfg)
        yield LogMessage(
            "info",
            f"Dataset needs {need / 2**20:.0f} MB at {size} px, over the {cfg.cache_memory_mb} MB cache "
            f"budget: streaming from disk with {workers} worker(s).",
        )
        return (
            StreamingSource(scan.train, size, "crop", device, workers),
            StreamingSource(scan.val, size, "crop", device, workers),
        )
    storage = (
        device if device.type == "cuda" and need < memory_hint(device) else torch.device("cpu")
    )
    yield LogMessage(
        "info", f"Decoding {len(samples)} images once into memory ({need / 2**20:.0f} MB) ..."
    )
    sources = []
    # Train and validation decode into separate arrays: splitting one would copy the cache.
    for split, split_samples in (("train", scan.train), ("val", scan.val)):
        decoded = yield from decoded_with_progress([s.path for s in split_samples], size, control)
        if decoded is None:
            return None
        arrays, kept, skipped = decoded
        label_of = {s.path: s.label for s in split_samples} if skipped else {}
        for path, reason in skipped:
            name = scan.report.class_names[label_of[path]]
            add_skipped(scan.report, path, reason, split=split, class_name=name)
            yield LogMessage("warning", f"Skipped {path}: {reason}")
        labels = [split_samples[i].label for i in kept]
        paths = [split_samples[i].path for i in kept]
        source = cached_source(arrays, labels, paths, storage, device)
        if source.storage != storage:  # the GPU had less room than it said
            storage = source.storage
            for earlier in sources:
                earlier.move_to(storage)
            yield LogMessage(
                "info", "The GPU ran out of memory for the image cache: keeping it in RAM."
            )
        sources.append(source)
        del arrays  # a GPU-stored cache no longer needs its host copy
    return tuple(sources)


def cached_source(arrays, labels, paths, storage: torch.device, device: torch.device):
    """A CachedSource stored on `storage`, or in RAM when uploading to the GPU runs out of
    memory (that is no batch-size problem: the run itself may well fit)."""
    try:
        return CachedSource(arrays, labels, paths, storage, device)
    except Exception as exc:
        if storage.type == "cpu" or not is_out_of_memory(exc):
            raise
    release_memory(device)
    return CachedSource(arrays, labels, paths, torch.device("cpu"), device)
