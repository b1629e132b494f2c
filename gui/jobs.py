"""The one way Loupe runs background work: a generator on its own QThread.

Training, classification, dataset scans, sorting and undo are all "a generator of events".
`JobRunner.start(job)` runs `job(control)` on a fresh QThread; at every `yield` the worker
honours pause and stop through `control` (a core.control.RunControl), and each yielded event
reaches the GUI thread through ONE signal, `JobRunner.event`. After the generator has ended
and the thread has stopped, exactly one `JobEnded` follows on the same signal, so a page
can start the next job from its `on_event`.

Guarantees (each has a test in tests/gui/test_jobs.py):
- exactly one JobEnded per job, whatever the job does (returns, raises, is stopped);
- a QThread is never destroyed while it runs: running threads are held by a module-level
  keeper until they end, even when their runner or page is deleted first;
- `cancel()` lets a new job start at once; the cancelled job's late events never arrive
  (every event is tagged with its job's number and checked on the GUI thread).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThread, Signal, Slot

from core.control import RunControl
from core.errors import LoupeError

log = logging.getLogger(__name__)

JobStatus = Literal["finished", "stopped", "failed"]


@dataclass(frozen=True)
class JobEnded:
    """The last event of every job. `result`: the generator's return value (finished or
    stopped); `message`: one readable sentence when it failed; `error`: the exception, for
    callers that need its details (a SortAborted carries what was done)."""

    status: JobStatus
    message: str = ""
    result: Any = None
    error: BaseException | None = None


@dataclass(frozen=True)
class JobProgress:
    """`done` of `total` units (files, images): what callback-style core work reports."""

    done: int
    total: int


class JobControl(RunControl):
    """RunControl plus `report(event)`: work that reports through a callback rather than by
    yielding (scan_dataset's and execute_sort's progress) sends its events out the same
    signal as yielded ones."""

    def __init__(self) -> None:
        super().__init__()
        self._report: Callable[[object], None] = lambda _event: None

    def report(self, event: object) -> None:
        self._report(event)

    def progress_callback(self, interval_s: float = 0.05) -> Callable[[int, int], None]:
        """A `progress(done, total)` for core functions: reports a JobProgress at most every
        `interval_s` (and always the last one)."""
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if done >= total or now - last[0] >= interval_s:
                last[0] = now
                self.report(JobProgress(done, total))

        return progress


Job = Callable[[JobControl], Iterator[object]]


def call_job(fn: Callable[[JobControl], Any]) -> Job:
    """A plain function as a job: it yields nothing, and its return value becomes
    JobEnded.result. `fn(control)` may report progress with `control.progress_callback()`
    and should check `control.stop_requested` between its units of work."""

    def job(control: JobControl) -> Iterator[object]:
        yield from ()  # a generator that yields nothing
        return fn(control)

    return job


class GeneratorWorker(QObject):
    """Runs one job on the thread it was moved to. Not used directly: see JobRunner."""

    yielded = Signal(int, object)  # job number, event
    done = Signal()

    def __init__(self, number: int, job: Job, control: JobControl, stop_at_yield: bool) -> None:
        super().__init__()
        self.number = number
        self.job: Job | None = job
        self.control = control
        self.stop_at_yield = stop_at_yield
        self.finished = threading.Event()  # read by the GUI thread without an event loop
        control._report = lambda event: self.yielded.emit(self.number, event)

    @Slot()
    def run(self) -> None:
        ended = self._drive()
        self.job = None  # what the job holds (a model, a plan) goes with the run
        self.control._report = lambda _event: None
        self.yielded.emit(self.number, ended)
        self.finished.set()
        self.done.emit()

    def _drive(self) -> JobEnded:
        control, job = self.control, self.job
        assert job is not None
        try:
            generator = job(control)
            while True:
                try:
                    event = next(generator)
                except StopIteration as stop:
                    status: JobStatus = "stopped" if control.stop_requested else "finished"
                    return JobEnded(status, result=stop.value)
                self.yielded.emit(self.number, event)
                # Every yield is a safe point: pause blocks here, a stop ends jobs that do
                # not finish themselves (training and classification do: they say why).
                if control.checkpoint() and self.stop_at_yield:
                    generator.close()
                    return JobEnded("stopped")
        except LoupeError as exc:
            return JobEnded("failed", str(exc), error=exc)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            return JobEnded("failed", f"{where}{exc.strerror or exc}", error=exc)
        except Exception as exc:  # a bug must end the job visibly, not hang the page
            log.error("background job failed:\n%s", traceback.format_exc())
            return JobEnded("failed", f"{type(exc).__name__}: {exc}", error=exc)


class _ThreadKeeper(QObject):
    """Holds every job thread until it has ended: a QThread destroyed while it runs aborts
    the process. Lives in the GUI thread, so `finished` reaches it after the run."""

    def __init__(self) -> None:
        super().__init__()
        self.live: set[QThread] = set()

    def keep(self, thread: QThread) -> None:
        self.live.add(thread)
        thread.finished.connect(self._on_thread_finished)

    @Slot()
    def _on_thread_finished(self) -> None:
        for thread in [t for t in self.live if t.isFinished()]:
            thread.wait()
            self.live.discard(thread)


_keeper: _ThreadKeeper | None = None
_numbers = itertools.count(1)


def _keep(thread: QThread) -> None:
    global _keeper
    if _keeper is None:
        _keeper = _ThreadKeeper()
    _keeper.keep(thread)


def running_threads() -> list[QThread]:
    """Job threads not yet ended (tests assert that none leak)."""
    return [t for t in (_keeper.live if _keeper else ()) if not t.isFinished()]


def live_threads() -> int:
    return len(running_threads())


class JobRunner(QObject):
    """One job at a time for its owner. `event(object)` carries every event of the current
    job, then its JobEnded once the thread has stopped (is_running() is then False)."""

    event = Signal(object)

    def __init__(self, parent: QObject | None = None, name: str = "job") -> None:
        super().__init__(parent)
        self.name = name
        self._thread: QThread | None = None
        self._worker: GeneratorWorker | None = None
        self._ended: JobEnded | None = None
        # Cancelled jobs still winding down: shutdown() waits for them too.
        self._cancelled: list[tuple[QThread, GeneratorWorker]] = []

    # -- state --------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self._thread is not None

    @property
    def control(self) -> JobControl | None:
        return self._worker.control if self._worker is not None else None

    @property
    def thread(self) -> QThread | None:
        return self._thread

    # -- starting and stopping ------------------------------------------------------------

    def start(
        self, job: Job, stop_at_yield: bool = True, priority: QThread.Priority | None = None
    ) -> JobControl:
        """Run `job(control)` on a fresh thread. Connect to `event` before calling: a job that
        fails at once is still reported. `stop_at_yield=False` for jobs that end themselves
        when asked to stop (they check the control and yield their own last words)."""
        if self._thread is not None:
            raise RuntimeError(f"a {self.name} job is already running")
        control = JobControl()
        worker = GeneratorWorker(next(_numbers), job, control, stop_at_yield)
        thread = QThread()  # no parent: the keeper holds it until it has ended
        thread.setObjectName(f"{self.name}Thread")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued quit would wait for the GUI thread,
        # which may itself be blocked in wait().
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # Not deleteLater in its own thread: the worker's C++ destructor needs the GIL there while
        # holding a Qt lock the GUI thread may want with the GIL held (a deadlock). It is freed in
        # the GUI thread once the thread has ended and the last reference (below) is dropped.
        worker.yielded.connect(self._on_worker_yielded)
        thread.finished.connect(self._on_thread_finished)
        _keep(thread)
        self._thread, self._worker, self._ended = thread, worker, None
        if priority is None:
            thread.start()
        else:
            thread.start(priority)
        return control

    def request_stop(self) -> None:
        if self._worker is not None:
            self._worker.control.request_stop()

    def pause(self) -> None:
        if self._worker is not None:
            self._worker.control.pause()

    def resume(self) -> None:
        if self._worker is not None:
            self._worker.control.resume()

    def cancel(self) -> None:
        """Stop the current job and forget it at once: a new job may start now, and nothing
        of the old one (not even its JobEnded) reaches `event`. Its thread ends on its own."""
        if self._thread is not None and self._worker is not None:
            self._worker.control.request_stop()
            self._cancelled.append((self._thread, self._worker))
        self._cancelled = [(t, w) for t, w in self._cancelled if not w.finished.is_set()]
        self._thread = self._worker = self._ended = None

    # -- waiting --------------------------------------------------------------------------

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Block until the job's thread ends (tests); True if it did. Its last events and the
        JobEnded are delivered before this returns."""
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(max(timeout_ms, 0)):
            return False
        self._deliver_and_finish(thread)
        return True

    def shutdown(self, timeout_ms: int = 10000, stop: bool = True) -> bool:
        """The window is closing: stop the job (with `stop=False`: only once `timeout_ms` has
        passed) and wait for its end however long that takes, keeping the window painted;
        True if it ended within `timeout_ms`."""
        for old_thread, _old_worker in self._cancelled:
            old_thread.wait()  # asked to stop already: ends after its current unit of work
        self._cancelled = []
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return True
        if stop:
            worker.control.request_stop()
        deadline = time.monotonic() + timeout_ms / 1000
        while not worker.finished.is_set() and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            worker.finished.wait(0.02)
        in_time = worker.finished.is_set()
        if not in_time and timeout_ms > 0:
            log.warning(
                "%s still running after %.0f s: waiting for it", self.name, timeout_ms / 1e3
            )
            worker.control.request_stop()
        thread.wait()
        self._deliver_and_finish(thread)
        return in_time

    def _deliver_and_finish(self, thread: QThread) -> None:
        QCoreApplication.sendPostedEvents(self, 0)
        if self._thread is thread:
            self._finish()

    # -- slots ----------------------------------------------------------------------------

    @Slot(int, object)
    def _on_worker_yielded(self, number: int, event: object) -> None:
        worker = self._worker
        if worker is None or number != worker.number:
            return  # a cancelled job's late event
        if isinstance(event, JobEnded):
            self._ended = event  # delivered once the thread has stopped
        else:
            self.event.emit(event)

    @Slot()
    def _on_thread_finished(self) -> None:
        # Not `self.sender()`: it takes a Qt lock while holding the GIL, and the worker being
        # deleted in its ending thread holds such a lock while waiting for the GIL (a deadlock
        # seen in the suite). The signal may be a cancelled job's thread's, handled after the
        # current thread ended too but before that thread's own events, which wait behind it in
        # the queue: deliver them first, or the current job would end "without a result".
        if self._thread is not None and self._thread.isFinished():
            self._deliver_and_finish(self._thread)

    def _finish(self) -> None:
        thread, ended = self._thread, self._ended
        if thread is None:
            return
        thread.wait()  # `finished` is emitted just before the thread is marked not running
        self._thread = self._worker = self._ended = None
        self.event.emit(ended or JobEnded("failed", "The job ended without a result."))
