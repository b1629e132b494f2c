"""How large Loupe's window opens and how small it may get.

The minimum is the smallest size at which every page is whole: as wide as the widest page
needs next to the navigation (the Classify page's filter bar, about 1120 px with Loupe's
style), and MIN_WINDOW_HEIGHT tall. Below it controls were cut on every page (800x500) or
unusable (500x350). Never larger than the screen: on a smaller screen, and under a window
manager that ignores a window's minimum, the pages scroll instead of being cut."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QMainWindow, QScrollArea, QWidget

# px: the Runs page's three curves and the Train page's plots stay readable (at the layouts'
# own minimum, 500 px, they were slivers).
MIN_WINDOW_HEIGHT = 600


def default_window_size(available: QSize) -> QSize:
    """1440x900 where the screen has room; on a smaller screen (a 1280x720 laptop) the whole
    window, status bar and right-hand buttons included, stays on it."""
    return QSize(min(1440, available.width()), min(900, available.height()))


def minimum_window_size(content: QSize, available: QSize) -> QSize:
    """`content`: the window's size when every page gets its minimum; at least
    MIN_WINDOW_HEIGHT tall, never larger than the screen's `available` area."""
    wanted = QSize(content.width(), max(content.height(), MIN_WINDOW_HEIGHT))
    return wanted.boundedTo(available)


def content_minimum(window: QMainWindow, navigation: QWidget, pages: QWidget) -> QSize:
    """The window's size with `pages` (every page's minimum) beside the fixed-width
    `navigation`, under the menu bar and over the status bar."""
    need = pages.minimumSizeHint().expandedTo(pages.minimumSize())
    bars = window.menuBar().sizeHint().height() + window.statusBar().sizeHint().height()
    height = max(need.height(), navigation.minimumSizeHint().height()) + bars
    return QSize(navigation.minimumWidth() + need.width(), height)


class _PagesFrame(QWidget):
    """Holds the pages at its own size; its minimum is theirs. No layout: a layout hands the
    scroll area the pages' height for a width, which adds up the word-wrapped labels'
    preferred heights (816 px for the Data page at 1156 px wide), and the page scrolled at any
    window size."""

    def __init__(self, pages: QWidget) -> None:
        super().__init__()
        self.pages = pages
        pages.setParent(self)

    def minimumSizeHint(self) -> QSize:
        return self.pages.minimumSizeHint().expandedTo(self.pages.minimumSize())

    def sizeHint(self) -> QSize:
        return self.pages.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.pages.setGeometry(self.rect())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a page's minimum may have changed
            self.updateGeometry()
        return super().event(event)


def scrolling_pages(pages: QWidget) -> QScrollArea:
    """`pages` in a scroll area whose bars show only when the window is smaller than the
    pages' minimum: then they scroll, whole, rather than being squeezed and cut."""
    area = QScrollArea()
    area.setObjectName("pageScroll")
    # Not a Tab stop of its own (nothing shows it focused): it scrolls to the focused control.
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(_PagesFrame(pages))
    # The window's background shows through, as without the scroll area.
    area.viewport().setAutoFillBackground(False)
    area.widget().setAutoFillBackground(False)
    return area
