"""Classifying a folder as a job for gui.jobs. Qt-free.

The work happens in the classification process (core.infer.classify_process: decoding and
inference hold the GIL, and in the window's process they made its GUI thread wait); the job's
thread only passes its events on: ModelLoaded when the process loaded the model, ImagesListed,
then ResultsBatch every FLUSH_INTERVAL at most. It ends itself when asked to stop (the process
stops before its next file) and returns one sentence about what it did: run it with
stop_at_yield=False."""

from __future__ import annotations

from collections.abc import Iterator

from core.control import RunControl
from core.infer.classify_process import ClassifyProcess
from core.infer.classify_run import (
    FLUSH_INTERVAL,
    ClassifyRequest,
    ImagesListed,
    ModelLoaded,
    ResultsBatch,
)

__all__ = ["FLUSH_INTERVAL", "ImagesListed", "ModelLoaded", "ResultsBatch", "classify_job"]


def classify_job(
    process: ClassifyProcess,
    model_path: str,
    folder: str,
    recursive: bool = True,
    device: str = "auto",
    batch_size: int = 32,
):
    request = ClassifyRequest(model_path, folder, recursive, device, batch_size)

    def job(control: RunControl) -> Iterator[object]:
        return (yield from process.classify(request, control))

    return job
