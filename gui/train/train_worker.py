"""Runs `core.train.loop.fit` on a QThread and re-emits its events as Qt signals.

The GUI thread never waits on the worker: events cross threads as queued signals carrying
the frozen event dataclasses (plain data), and stop/pause go through core.control.RunControl,
which is thread-safe. `TrainRunner` owns one worker and its thread for one run."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThread, Signal, Slot

from core.control import RunControl
from core.data.datasets import DatasetReport
from core.events import (
    CheckpointSaved,
    EpochEnded,
    LogMessage,
    PredictionsSampled,
    RunFinished,
    RunStarted,
    StepEnded,
)
from core.train.config import TrainConfig, from_dict
from core.train.defaults import SMALL_IMAGE_MAX
from gui.worker_thread import worker_thread

FitFunction = Callable[[TrainConfig, RunControl], Iterable[Any]]


def _default_fit(config: TrainConfig, control: RunControl) -> Iterable[Any]:
    # Imported here, on the worker thread: core.train.loop imports torch.
    from core.train.loop import fit

    return fit(config, control)


def run_folder_name(data_dir: str, arch: str, when: float | None = None) -> str:
    """<YYYYmmdd-HHMMSS>-<dataset name>-<arch>, safe on every file system."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    name = os.path.basename(os.path.normpath(data_dir)) or "dataset"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "dataset"
    arch = re.sub(r"[^A-Za-z0-9._-]+", "_", arch or "auto")
    return f"{stamp}-{name[:40]}-{arch}"


def expected_arch(arch: str, report: DatasetReport | None) -> str:
    """The architecture a run will train, as far as it is known before torch is loaded:
    "auto" becomes loupe_net for small images (core.train.defaults.resolve_auto's first rule);
    for photos the choice depends on the device and on the weights at hand, so it stays
    "auto"."""
    if arch != "auto" or report is None or not report.median_size:
        return arch or "auto"
    return "loupe_net" if min(report.median_size) <= SMALL_IMAGE_MAX else "auto"


def new_run_dir(
    workspace: str, data_dir: str, arch: str, report: DatasetReport | None = None
) -> str:
    """A fresh run folder path in `workspace` (suffixed when two runs start in one second).
    `report`: the dataset's scan, when known, so that an "auto" architecture can be named."""
    base = os.path.join(workspace, run_folder_name(data_dir, expected_arch(arch, report)))
    path, n = base, 2
    while os.path.exists(path):
        path, n = f"{base}-{n}", n + 1
    return path


def resume_config(run_dir: str, epochs: int) -> TrainConfig:
    """The config to continue `run_dir` until `epochs` epochs in total: the run's own
    config.json, resumed into the same folder. Raises OSError/ValueError/TypeError when
    config.json is missing or unreadable."""
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
        config = from_dict(json.load(f))
    return dataclasses.replace(config, resume=True, out_dir=run_dir, epochs=int(epochs))


class TrainWorker(QObject):
    """One signal per event type (payload: the event itself), then `finished()` exactly once.

    A crash outside the engine (an import error, a bug here) still ends with a RunFinished
    of status "failed", so the window always learns why the run ended."""

    runStarted = Signal(object)
    logMessage = Signal(object)
    stepEnded = Signal(object)
    epochEnded = Signal(object)
    predictionsSampled = Signal(object)
    checkpointSaved = Signal(object)
    runFinished = Signal(object)
    finished = Signal()

    def __init__(
        self,
        config: TrainConfig,
        control: RunControl | None = None,
        fit: FitFunction | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.control = control or RunControl()
        self._fit = fit or _default_fit
        # Set from the worker thread; read by the GUI thread without an event loop round-trip.
        self.done = threading.Event()
        self._routes = {
            RunStarted: self.runStarted,
            LogMessage: self.logMessage,
            StepEnded: self.stepEnded,
            EpochEnded: self.epochEnded,
            PredictionsSampled: self.predictionsSampled,
            CheckpointSaved: self.checkpointSaved,
            RunFinished: self.runFinished,
        }

    @Slot()
    def run(self) -> None:
        finished_sent = False
        try:
            for event in self._fit(self.config, self.control):
                signal = self._routes.get(type(event))
                if signal is None:
                    continue  # an event type this window does not know yet
                signal.emit(event)
                finished_sent = finished_sent or isinstance(event, RunFinished)
        except BaseException as exc:  # noqa: BLE001 - the window must hear about any failure
            self.logMessage.emit(LogMessage("error", traceback.format_exc()))
            if not finished_sent:
                reason = f"Training crashed: {type(exc).__name__}: {exc}"
                self.runFinished.emit(
                    RunFinished("failed", reason, self.config.out_dir, 0, None, None, None)
                )
                finished_sent = True
        if not finished_sent:
            self.runFinished.emit(
                RunFinished(
                    "failed",
                    "The training ended without a result.",
                    self.config.out_dir,
                    0,
                    None,
                    None,
                    None,
                )
            )
        self.done.set()
        self.finished.emit()


class TrainRunner(QObject):
    """Starts a TrainWorker on a fresh QThread and shuts both down cleanly.

    Connect to the worker's signals in `start(..., connect=...)`, which runs before the thread
    starts (a run that fails at once emits before `start()` returns); `ended()` comes after the thread
    has stopped, so a new run can start from that slot."""

    ended = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: QThread | None = None
        self.worker: TrainWorker | None = None

    def is_running(self) -> bool:
        return self.thread is not None

    @property
    def control(self) -> RunControl | None:
        return self.worker.control if self.worker is not None else None

    def start(
        self,
        config: TrainConfig,
        fit: FitFunction | None = None,
        connect: Callable[[TrainWorker], None] | None = None,
    ) -> TrainWorker:
        """`connect(worker)` is called before the thread starts: signals connected there
        cannot be missed, even by a run that fails in its first microsecond."""
        if self.thread is not None:
            raise RuntimeError("a training run is already in progress")
        worker = TrainWorker(config, fit=fit)
        thread = worker_thread(worker, worker.finished, self, "trainThread")
        thread.finished.connect(self._on_thread_finished)
        self.thread, self.worker = thread, worker
        if connect is not None:
            try:
                connect(worker)
            except BaseException:
                self.thread = self.worker = None
                thread.setParent(None)
                raise
        thread.start()
        return worker

    def request_stop(self) -> None:
        if self.worker is not None:
            self.worker.control.request_stop()

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.control.pause()

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.control.resume()

    def shutdown(self, timeout_s: float = 20.0) -> bool:
        """Stop the run and wait for it: events keep flowing while waiting (so the window
        repaints and the last events arrive); after `timeout_s` the thread is still waited
        for, since destroying a running QThread aborts the process. Returns True when the
        worker ended within the timeout."""
        thread, worker = self.thread, self.worker
        if thread is None or worker is None:
            return True
        worker.control.request_stop()
        deadline = time.monotonic() + timeout_s
        while not worker.done.is_set() and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            worker.done.wait(0.02)
        in_time = worker.done.is_set()
        thread.quit()
        thread.wait()
        # Deliver what the worker queued last (RunFinished) before the owner goes away.
        QCoreApplication.processEvents()
        self._cleanup()
        return in_time

    def _on_thread_finished(self) -> None:
        # A late, queued `finished` of an old thread must not end a newer run.
        if self.thread is not None and self.sender() is self.thread:
            self._cleanup()

    def _cleanup(self) -> None:
        thread = self.thread
        if thread is None:
            return
        self.thread = self.worker = None
        thread.wait()
        # Hand the finished thread to Python: it goes when the last reference goes (a
        # deleteLater would leave dangling wrappers in callers that kept one). The worker
        # never had a parent.
        thread.setParent(None)
        self.ended.emit()
