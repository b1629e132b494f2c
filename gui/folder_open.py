"""Folders the desktop asks the running app to open: on macOS, a folder dropped on Loupe's
Dock icon or opened with "Open With ▸ Loupe" in Finder reaches the application as a
QFileOpenEvent, not as a command-line argument (packaging/loupe.spec declares folders as
documents Loupe can view, at the "Alternate" rank, so Loupe never becomes Finder's default
for folders). Elsewhere the folder comes as `loupe FOLDER` (main.py)."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFileOpenEvent


class FolderOpenEvents(QObject):
    """Installed on the QApplication: a folder's open event calls `open_folder(path)`;
    other files are left to Qt (Loupe opens no single files this way)."""

    def __init__(self, open_folder: Callable[[str], None], parent: QObject | None = None):
        super().__init__(parent)
        self.open_folder = open_folder

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        path = event.file()
        if not path or not os.path.isdir(path):
            return False
        self.open_folder(path)
        return True
