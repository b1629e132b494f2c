"""set_progress: a progress bar moves in the window's next frame, never inside the event that
moved it (QProgressBar.setValue repaints at once, and with it every waiting widget)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QProgressBar, QWidget

from gui.widgets.progress_bars import set_progress


class Paints(QObject):
    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def _shown_bar(qtbot) -> QProgressBar:
    bar = QProgressBar()
    qtbot.addWidget(bar)
    bar.resize(300, 24)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(20)
    return bar


def test_qt_repaints_a_moving_progress_bar_at_once(qtbot):
    # Why set_progress exists: if Qt stops doing this, it can go.
    bar = _shown_bar(qtbot)
    paints = Paints(bar)
    bar.setValue(40)
    assert paints.count == 1


def test_set_progress_shows_the_value_in_the_next_frame(qtbot):
    bar = _shown_bar(qtbot)
    paints = Paints(bar)
    set_progress(bar, 2816, 6000, "2,816 of 6,000")
    assert paints.count == 0 and bar.updatesEnabled()
    assert (bar.value(), bar.maximum(), bar.text()) == (2816, 6000, "2,816 of 6,000")
    qtbot.waitUntil(lambda: paints.count == 1)
    set_progress(bar, 3000)  # the range and text stay
    assert (bar.maximum(), bar.format()) == (6000, "2,816 of 6,000")
