"""Classify a folder off the GUI thread.

`ClassifyWorker` (a QObject moved to a QThread) loads the model, lists the folder and iterates
core.infer.inference.classify_paths. Results are gathered and emitted in lists at most every
FLUSH_INTERVAL seconds, so 50,000 images make a few hundred signals, not 50,000.
torch is imported inside the worker thread only (core.infer.inference imports it).

`BackgroundCall` runs any `fn(progress, should_stop)` on its own QThread (sorting, undo).

`ClassifyRunner` owns the thread: `start(...)`, `stop()` (cooperative, through RunControl:
the engine checks it before every file), `wait()`. It re-emits the worker's signals on the
GUI thread and emits `finished(status, message)` once the thread has really ended.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.control import RunControl
from core.errors import LoupeError
from core.infer.results import ClassifiedImage, ClassifyProgress, UnreadableImage
from gui.formatting import format_duration
from gui.worker_thread import wait_for_thread, worker_thread

FLUSH_INTERVAL = 0.1  # s between result batches: smooth streaming, few signals
MAX_BUFFER = 4096  # results; flush earlier on a very fast device to bound latency
log = logging.getLogger(__name__)


class ClassifyWorker(QObject):
    modelLoaded = Signal(object)  # core.infer.inference.LoadedModel
    listed = Signal(int)  # number of image files found
    resultsReady = Signal(list)  # list[ClassifiedImage]
    unreadableFound = Signal(list)  # list[UnreadableImage]
    progressed = Signal(object)  # ClassifyProgress (the latest at each flush)
    finished = Signal(str, str)  # status "finished" | "stopped" | "failed", message

    def __init__(
        self,
        model_path: str,
        folder: str,
        recursive: bool = True,
        device: str = "auto",
        batch_size: int = 32,
        loaded_model: Any = None,
        control: RunControl | None = None,
    ) -> None:
        super().__init__()
        self.model_path = model_path
        self.folder = folder
        self.recursive = recursive
        self.device = device
        self.batch_size = batch_size
        self.loaded_model = loaded_model
        self.control = control or RunControl()
        self._results: list[ClassifiedImage] = []
        self._unreadable: list[UnreadableImage] = []
        self._progress: ClassifyProgress | None = None
        self._last_flush = 0.0

    def stop(self) -> None:
        """Thread-safe: the engine stops before its next file."""
        self.control.request_stop()

    @Slot()
    def run(self) -> None:
        try:
            status, message = self._classify()
        except LoupeError as exc:
            status, message = "failed", str(exc)
        except Exception as exc:  # a bug must end the run visibly, not hang the GUI
            log.error("classification failed:\n%s", traceback.format_exc())
            status, message = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            # The worker object may outlive the run (a caller's reference): let the model
            # (GPU memory on CUDA) go with the run, not with the last reference to the worker.
            self.loaded_model = None
        self._flush()
        self.finished.emit(status, message)

    def _classify(self) -> tuple[str, str]:
        from core.infer.inference import classify_paths, list_images, load_model_for_inference

        started = time.perf_counter()
        model = self.loaded_model
        if model is None:
            model = load_model_for_inference(self.model_path, self.device)
            self.modelLoaded.emit(model)
        if self.control.stop_requested:
            return "stopped", "Stopped before any image was classified."
        try:
            paths = list_images(self.folder, self.recursive)
        except OSError as exc:
            raise LoupeError(
                f"Cannot read the folder {self.folder}: {exc.strerror or exc}"
            ) from exc
        self.listed.emit(len(paths))
        if not paths:
            where = "in this folder or its subfolders" if self.recursive else "in this folder"
            return "finished", f"No images found {where}."
        classified = unreadable = 0
        self._last_flush = time.perf_counter()
        for item in classify_paths(model, paths, batch_size=self.batch_size, control=self.control):
            if isinstance(item, ClassifiedImage):
                self._results.append(item)
                classified += 1
            elif isinstance(item, UnreadableImage):
                self._unreadable.append(item)
                unreadable += 1
            else:
                self._progress = item
            now = time.perf_counter()
            if now - self._last_flush >= FLUSH_INTERVAL or len(self._results) >= MAX_BUFFER:
                self._flush()
                self._last_flush = now
        seconds = time.perf_counter() - started
        bad = f"; {unreadable:,} unreadable" if unreadable else ""
        if self.control.stop_requested:
            return "stopped", f"Stopped: {classified:,} of {len(paths):,} images classified{bad}."
        rate = classified / seconds if seconds > 0 else 0.0
        return (
            "finished",
            f"Classified {classified:,} images in {format_duration(seconds)} "
            f"({rate:,.0f} images/s){bad}.",
        )

    def _flush(self) -> None:
        if self._results:
            batch, self._results = self._results, []
            self.resultsReady.emit(batch)
        if self._unreadable:
            batch_u, self._unreadable = self._unreadable, []
            self.unreadableFound.emit(batch_u)
        if self._progress is not None:
            self.progressed.emit(self._progress)
            self._progress = None


class ClassifyRunner(QObject):
    """One classification at a time, on its own QThread."""

    modelLoaded = Signal(object)
    listed = Signal(int)
    resultsReady = Signal(list)
    unreadableFound = Signal(list)
    progressed = Signal(object)
    finished = Signal(str, str)  # after the thread has ended

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: ClassifyWorker | None = None
        self._outcome = ("failed", "The classification thread ended without a result.")

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, model_path: str, folder: str, recursive: bool = True, **kwargs: Any) -> None:
        if self._thread is not None:
            raise RuntimeError("a classification is already running")
        worker = ClassifyWorker(model_path, folder, recursive, **kwargs)
        thread = worker_thread(worker, worker.finished, self, "classifyThread")
        # Deleted in its own thread as that thread ends (a deleteLater from the GUI thread
        # after the end would never run).
        thread.finished.connect(worker.deleteLater)
        worker.modelLoaded.connect(self.modelLoaded)
        worker.listed.connect(self.listed)
        worker.resultsReady.connect(self.resultsReady)
        worker.unreadableFound.connect(self.unreadableFound)
        worker.progressed.connect(self.progressed)
        worker.finished.connect(self._on_worker_finished)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        self._outcome = ("failed", "The classification thread ended without a result.")
        thread.start()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Block until the thread ends (for shutdown and tests); True if it did."""
        return wait_for_thread(self, self._thread, timeout_ms, self._on_thread_finished)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop and wait for the end, past `timeout_ms` too (never leaves a running thread);
        True if it ended in time."""
        self.stop()
        return wait_for_thread(
            self, self._thread, timeout_ms, self._on_thread_finished, keep_waiting=True
        )

    def _on_worker_finished(self, status: str, message: str) -> None:
        self._outcome = (status, message)

    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is None:
            return  # already handled (wait() ran first)
        thread.wait()  # `finished` is emitted just before the thread is marked not running
        self._thread = self._worker = None
        thread.deleteLater()
        self.finished.emit(*self._outcome)


PROGRESS_INTERVAL = 0.05  # s between progress signals of a BackgroundCall
Work = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]


class _CallWorker(QObject):
    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str, object)  # message, the exception
    done = Signal()

    def __init__(self, fn: Work) -> None:
        super().__init__()
        self.fn = fn
        self.stop_requested = False
        self._last = 0.0

    def _progress(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done >= total or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self.progressed.emit(done, total)

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(self._progress, lambda: self.stop_requested)
        except LoupeError as exc:
            self.failed.emit(str(exc), exc)
        except OSError as exc:
            self.failed.emit(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), exc)
        except Exception as exc:  # shown to the user rather than lost in a thread
            self.failed.emit(f"{type(exc).__name__}: {exc}", exc)
        else:
            self.succeeded.emit(result)
        finally:
            self.fn = None  # what the work holds (a plan, a model) goes with the run
        self.done.emit()


class BackgroundCall(QObject):
    """Run `fn(progress, should_stop)` on its own thread; `ended` fires after the thread ends."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str, object)
    ended = Signal()

    def __init__(self, fn: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = _CallWorker(fn)
        self._thread: QThread | None = worker_thread(
            self._worker, self._worker.done, self, "backgroundCallThread"
        )
        self._thread.finished.connect(self._worker.deleteLater)  # in its thread, as it ends
        self._worker.progressed.connect(self.progressed)
        self._worker.succeeded.connect(self.succeeded)
        self._worker.failed.connect(self.failed)
        self._thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        if self._thread is not None:
            self._thread.start()

    def request_stop(self) -> None:
        self._worker.stop_requested = True  # a plain bool: read between files, GIL-safe

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait(self, timeout_ms: int = 30000) -> bool:
        return wait_for_thread(self, self._thread, timeout_ms, self._on_thread_finished)

    def shutdown(self, timeout_ms: int = 30000, stop: bool = True) -> bool:
        """Wait for the end, past `timeout_ms` too (never leaves a running thread). With
        `stop` the work is asked to stop first; without, only once `timeout_ms` has passed.
        True if it ended in time."""
        if not stop and self.wait(timeout_ms):
            return True
        self.request_stop()
        ended = wait_for_thread(
            self, self._thread, timeout_ms, self._on_thread_finished, keep_waiting=True
        )
        return ended and stop  # without `stop` it already had its time

    def _on_thread_finished(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.wait()
        thread.deleteLater()
        self.ended.emit()
