"""The one way Loupe runs a worker QObject on its own QThread (training, classification,
sorting, the torch import), and waits for it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, SignalInstance


def worker_thread(worker: QObject, done: SignalInstance, owner: QObject, name: str) -> QThread:
    """A QThread owned by `owner`, not started yet, that runs `worker.run()` and quits as soon
    as `done` fires. `worker` must have no parent (it moves to the thread)."""
    thread = QThread(owner)
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: quit() is thread-safe, and a queued quit would wait for the GUI thread's event
    # loop, which may itself be blocked in thread.wait().
    done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    return thread


def wait_for_thread(
    owner: QObject, thread: QThread | None, timeout_ms: int, finish: Callable[[], None]
) -> bool:
    """Block until `thread` ends (shutdown, tests); True if it did within `timeout_ms`. Then
    the signals the worker queued for `owner` (last results, its outcome) are delivered in
    order, and `finish()` runs: the queued thread-finished call later finds nothing to do."""
    if thread is None:
        return True
    ended = thread.wait(timeout_ms)
    if ended:
        QCoreApplication.sendPostedEvents(owner, 0)
        finish()
    return ended
