"""Opening a report or a folder with the desktop's own program: where none opens (a minimal
desktop, no browser), the user is told where the file is instead of nothing happening."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget


def open_path(parent: QWidget, path: str, what: str) -> bool:
    """Open `path` (`what`: "the report", "the run folder"); False, after saying where it is,
    when no program opened it."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
        return True
    tell(parent, "Nothing opened it", f"No program could open {what} here. It is at:\n{path}")
    return False


def tell(parent: QWidget, title: str, text: str) -> None:
    """An information box (tests replace this function)."""
    QMessageBox.information(parent, title, text)
