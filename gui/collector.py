"""Keep Python's garbage collector from freezing the window.

A full collection walks every tracked object with the GIL held. Once torch is imported the
GUI process holds ~400,000 of them (modules, functions, the window's widgets): one collection
took 200 ms of CPU, so the window stalled whenever the collector ran in any thread (and at
the end of every run, which collects to give memory back: core.device.release_memory).
Those objects live as long as the process, so they are moved out of the collector's reach."""

from __future__ import annotations

import gc


def freeze_long_lived_objects(collect_first: bool = True) -> None:
    """Every object alive now is never collected (nor walked) again; objects created later
    are collected as before. Called once the window is up and again once torch has loaded.
    `collect_first`: what is garbage now is freed, not frozen. Not once torch has loaded: that
    collection walks the ~340,000 objects its import made (even the young generations hold
    them), 250-280 ms on the GUI thread, a visible freeze of the window, to free ~2,000."""
    if collect_first:
        gc.collect()
    gc.freeze()


class GuiThreadCollector:
    """Cyclic garbage is collected on the GUI thread only.

    Python's automatic collection runs in whichever thread happens to allocate: a thread
    reading a child process's events could collect a widget caught in a reference cycle (a
    lambda connected to its own signal is enough), and Qt then deleted it on that thread: its
    timers could not be unregistered there, and the GUI thread's next timer dispatch crashed
    on the deleted object (seen as a segfault in QTimerInfoList::activateTimers in the test
    suite). Automatic collection is switched off and a GUI-thread timer runs the collection
    the thresholds ask for, generation by generation, as Python itself would (the recipe
    PyQt applications such as calibre use)."""

    def __init__(self, interval_ms: int = 500) -> None:
        from PySide6.QtCore import QTimer

        self.thresholds = gc.get_threshold()
        self.collections = 0  # for tests
        gc.disable()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)
        self._timer.start()

    def collect_if_due(self) -> None:
        counts = gc.get_count()
        if counts[0] <= self.thresholds[0]:
            return
        generation = 0
        if counts[1] > self.thresholds[1]:
            generation = 2 if counts[2] > self.thresholds[2] else 1
        gc.collect(generation)
        self.collections += 1

    def stop(self) -> None:
        """Back to Python's own automatic collection."""
        self._timer.stop()
        gc.enable()
