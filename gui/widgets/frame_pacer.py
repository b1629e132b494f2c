"""The window's live views take turns: one view refreshes per frame.

While a run trains, the loss, accuracy and learning-rate plots, the prediction grid and the
confusion matrix all have something new at the end of an epoch; refreshed together, their
rendering and the repaint that follows land in one turn of the event loop: at 4K that was
one 50-150 ms stall of the window (benchmarks/gui_responsiveness.py). Each view now asks the
shared pacer for a turn; one turn runs per FRAME_MS, so input and timers get the event loop
between them, and the user sees the views update a few ms apart.

A view's later request replaces its queued one (only the latest content is worth drawing),
and a refresh that returns True has more to draw: it gets another turn after the others."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QWidget

FRAME_MS = 16  # one view refresh per ~60 Hz frame
_REPAINT = "repaint"  # the part of repaint_later's requests

Refresh = Callable[[], bool | None]


class FramePacer(QObject):
    def __init__(self, interval_ms: int = FRAME_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: OrderedDict[tuple[QObject, Hashable], Refresh] = OrderedDict()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.turns = 0  # refreshes run, for tests

    def request(self, view: QObject, refresh: Refresh, part: Hashable = None) -> None:
        """Run `refresh()` in a coming frame, after the views that asked before it (a view
        that asks again keeps its place, with its newest refresh). `part` tells apart
        several refreshes of one view (the three plots of MetricsPlots)."""
        self._queue[(view, part)] = refresh
        if not self._timer.isActive():
            self._timer.start()

    def repaint_later(self, widget: QWidget) -> None:
        """`widget`'s content is about to change (call this first: a change made while
        updates are on is painted in this frame): it repaints in its turn."""
        if widget.updatesEnabled():
            widget.setUpdatesEnabled(False)  # (enabling them again repaints the widget)
        self.request(widget, lambda: widget.setUpdatesEnabled(True), part=_REPAINT)

    def is_pending(self, view: QObject, part: Hashable = None) -> bool:
        return (view, part) in self._queue

    def cancel(self, view: QObject, part: Hashable = None) -> None:
        self._queue.pop((view, part), None)

    def flush(self) -> None:
        """Run every queued refresh now, until none has more to draw (a run ended, a test)."""
        while self._queue:
            self._run_next()
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        if self._queue:
            self._run_next()
        if not self._queue:
            self._timer.stop()

    def _run_next(self) -> None:
        key, refresh = self._queue.popitem(last=False)
        if not shiboken6.isValid(key[0]):  # the view was closed and deleted meanwhile
            return
        self.turns += 1
        if refresh() and key not in self._queue:  # more to draw: after the others
            self._queue[key] = refresh


_shared: FramePacer | None = None


def shared_pacer() -> FramePacer:
    """The window's pacer: views that share it never refresh in the same frame."""
    global _shared
    app = QCoreApplication.instance()
    if _shared is None or not shiboken6.isValid(_shared) or _shared.parent() is not app:
        _shared = FramePacer(parent=app)
    return _shared
