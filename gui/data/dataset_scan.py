"""Running core.data.datasets.scan_dataset in a QThread, cancellably.

A newer load cancels an older scan: its progress callback raises, which stops the image
checks within one progress interval (the folder walk before them cannot be interrupted).
Every signal carries the scan's id so that late results of a superseded scan are ignored."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.data.datasets import scan_dataset
from core.errors import DatasetError

log = logging.getLogger(__name__)


class ScanCancelled(Exception):
    """Raised from the progress callback to stop a scan nobody waits for any more."""


class ScanThread(QThread):
    """Runs one scan_dataset call; every signal carries the scan's id so late results of a
    cancelled or superseded scan can be told apart."""

    progressed = Signal(int, int, int)  # scan id, done, total
    succeeded = Signal(int, object)  # scan id, DatasetScan
    failed = Signal(int, str)  # scan id, message

    def __init__(self, scan_id: int, path: str, val_split: float, seed: int) -> None:
        super().__init__()
        self.scan_id, self.path, self.val_split, self.seed = scan_id, path, val_split, seed
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def _progress(self, done: int, total: int) -> None:
        if self._cancelled.is_set():
            raise ScanCancelled
        self.progressed.emit(self.scan_id, done, total)

    def run(self) -> None:
        try:
            # Looked up at call time so tests can wrap it.
            scan = scan_dataset(self.path, self.val_split, self.seed, progress=self._progress)
        except ScanCancelled:
            return
        except DatasetError as error:
            self.failed.emit(self.scan_id, str(error))
            return
        except Exception as error:  # a bug or an OS error: still a message, never a crash
            log.exception("scanning %s failed", self.path)
            self.failed.emit(self.scan_id, f"Could not scan {self.path}: {error}")
            return
        if not self._cancelled.is_set():
            self.succeeded.emit(self.scan_id, scan)


class _ScanKeeper(QObject):
    """Holds every scan thread until it has finished, even when its view is deleted first
    (a test or a window closed without shutdown()): a QThread destroyed while it runs aborts
    the process. Lives in the GUI thread, so `finished` reaches it queued, after the run."""

    def __init__(self) -> None:
        super().__init__()
        self.live: set[ScanThread] = set()

    def keep(self, thread: ScanThread) -> None:
        self.live.add(thread)
        thread.finished.connect(self._on_thread_finished)

    @Slot()
    def _on_thread_finished(self) -> None:
        for thread in [t for t in self.live if t.isFinished()]:
            thread.wait()
            self.live.discard(thread)


_keeper: _ScanKeeper | None = None


def keep_until_finished(thread: ScanThread) -> None:
    global _keeper
    if _keeper is None:
        _keeper = _ScanKeeper()
    _keeper.keep(thread)
