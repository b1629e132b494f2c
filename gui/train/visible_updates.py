"""Updates for widgets the user cannot see wait until they are shown.

The dashboard's "Per class" and "Confusion matrix" tabs (and the whole Train page while the
user is on another page) get a new table every epoch; rebuilding a hidden one only costs the
window time. The latest update of a hidden widget is kept and applied when it is shown.
A visible widget takes its update at once but repaints in its own frame
(gui.widgets.frame_pacer), not in the one where every live view changed at an epoch's end."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from gui.widgets.frame_pacer import shared_pacer


class VisibleUpdates(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[QWidget, Callable[[], None]] = {}

    def apply(self, widget: QWidget, update: Callable[[], None]) -> None:
        """`update()` now if `widget` is visible, else when it is next shown (only the
        latest update of a widget is kept: each one replaces the whole content)."""
        if widget.isVisible():
            self._pending.pop(widget, None)
            shared_pacer().repaint_later(widget)
            update()
            return
        if widget not in self._pending:
            widget.installEventFilter(self)
        self._pending[widget] = update

    def is_pending(self, widget: QWidget) -> bool:
        return widget in self._pending

    def flush(self) -> None:
        """Apply every waiting update (a run ended: hidden views are up to date too)."""
        for widget, update in list(self._pending.items()):
            widget.removeEventFilter(self)
            update()
        self._pending.clear()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and watched in self._pending:
            watched.removeEventFilter(self)
            self._pending.pop(watched)()
        return False
