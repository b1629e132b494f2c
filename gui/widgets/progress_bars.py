"""Progress bars that repaint with the window's next frame, never at once.

QProgressBar.setValue repaints synchronously whenever the bar visibly moves, and a
synchronous repaint paints every widget of the window that is waiting for a repaint along
with it: while a folder was classified, each batch's progress repainted the whole result
grid inside the batch's event (~15 ms maximised on a 4K screen, on top of the batch's own
work, one of the window's longest stalls; benchmarks/gui_responsiveness.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar


def set_progress(
    bar: QProgressBar, value: int, maximum: int | None = None, text: str | None = None
) -> None:
    """Show `value` (of `maximum`, from 0, when given; `text` as the bar's format when
    given) in the next frame's ordinary repaint."""
    enabled = bar.updatesEnabled()
    bar.setUpdatesEnabled(False)  # setValue's repaint() does nothing while updates are off
    try:
        if maximum is not None:
            bar.setRange(0, maximum)
        bar.setValue(value)
        if text is not None:
            bar.setFormat(text)
    finally:
        bar.setUpdatesEnabled(enabled)  # on again: an ordinary update, painted in turn
