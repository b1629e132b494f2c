"""`python -m gui.widgets.<widget>`: one widget with made-up data in a window of its own, to
look at it (and screenshot it) without the whole application."""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QWidget


def run_demo(build: Callable[[], QWidget], title: str) -> None:
    """Show what `build()` makes under `title` until its window closes, then exit. Widgets
    with a `shutdown()` (those that own threads) get it called before the process ends."""
    app = QApplication.instance() or QApplication(sys.argv)
    widget = build()
    widget.setWindowTitle(title)
    widget.show()
    shutdown = getattr(widget, "shutdown", None)
    if callable(shutdown):
        app.aboutToQuit.connect(shutdown)
    sys.exit(app.exec())
