"""The one way Loupe runs a worker QObject on its own QThread (training, classification,
sorting, the torch import), and waits for it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, SignalInstance

log = logging.getLogger(__name__)


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


def wait_patiently(thread: QThread, timeout_ms: int) -> bool:
    """Shutdown: block until `thread` has ended, however long that takes (a QThread destroyed
    while running aborts the process); True if it ended within `timeout_ms`. Past that, say
    so in the log and keep waiting: the work was asked to stop and ends after its current
    file."""
    if thread.wait(max(timeout_ms, 0)):
        return True
    log.warning(
        "%s still running after %.0f s: waiting for it to end",
        thread.objectName() or "a worker thread",
        timeout_ms / 1000,
    )
    while not thread.wait(1000):
        pass
    return False


def wait_for_thread(
    owner: QObject,
    thread: QThread | None,
    timeout_ms: int,
    finish: Callable[[], None],
    keep_waiting: bool = False,
) -> bool:
    """Block until `thread` ends (shutdown, tests); True if it did within `timeout_ms`. Then
    the signals the worker queued for `owner` (last results, its outcome) are delivered in
    order, and `finish()` runs: the queued thread-finished call later finds nothing to do.
    With `keep_waiting` (shutdown) it never gives up: see wait_patiently."""
    if thread is None:
        return True
    ended = wait_patiently(thread, timeout_ms) if keep_waiting else thread.wait(timeout_ms)
    if ended or keep_waiting:
        QCoreApplication.sendPostedEvents(owner, 0)
        finish()
    return ended
