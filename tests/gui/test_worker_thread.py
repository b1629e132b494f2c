"""gui.worker_thread: a worker runs on its own thread, which quits when the worker is done."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, QThread, Signal, Slot

from gui.worker_thread import wait_for_thread, worker_thread

pytestmark = pytest.mark.usefixtures("qapp")


class _Worker(QObject):
    done = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.ran_on: threading.Thread | None = None

    @Slot()
    def run(self) -> None:
        self.ran_on = threading.current_thread()
        self.done.emit()


def test_the_worker_runs_off_the_gui_thread_and_its_thread_quits_by_itself():
    owner = QObject()
    worker = _Worker()
    finished: list[bool] = []
    thread = worker_thread(worker, worker.done, owner, "testThread")
    assert isinstance(thread, QThread) and thread.objectName() == "testThread"
    assert thread.parent() is owner and not thread.isRunning()
    thread.start()
    assert wait_for_thread(owner, thread, 5000, lambda: finished.append(True))
    assert worker.ran_on is not threading.current_thread()
    assert not thread.isRunning() and finished == [True]
    assert wait_for_thread(owner, None, 10, lambda: finished.append(False))  # nothing to wait for
    assert finished == [True]
