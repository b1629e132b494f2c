"""Start the Loupe window: `run_gui(argv) -> exit code` (called by main.py)."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from core import APP_NAME, __version__
from gui.collector import GuiThreadCollector, freeze_long_lived_objects
from gui.folder_open import FolderOpenEvents

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    icon = QIcon()
    for size in ICON_SIZES:
        path = RESOURCES / "icons" / f"loupe-{size}.png"
        if path.is_file():
            icon.addFile(str(path))
    return icon


def style_sheet() -> str:
    path = RESOURCES / "style.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:  # a missing stylesheet only costs looks
        return ""


def configure_application(app: QApplication) -> None:
    """Names (QSettings, QStandardPaths), Fusion style, Loupe's stylesheet and icon."""
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app.setStyle("Fusion")
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("loupe")


def _install_excepthook() -> None:
    """An exception in a slot would otherwise only reach the terminal, which most users never
    see: show it in a dialog too (once at a time)."""
    showing = False

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        nonlocal showing
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(text)
        if showing or QApplication.instance() is None:
            return
        showing = True
        try:
            box = QMessageBox(QMessageBox.Icon.Critical, "Loupe: unexpected error", str(value))
            box.setDetailedText(text)
            box.exec()
        finally:
            showing = False

    sys.excepthook = hook


def run_gui(argv: list[str] | None = None, dataset: str | None = None) -> int:
    """Show the main window (on the Data page with `dataset` open, if given) and run the
    event loop; returns the exit code."""
    argv = list(sys.argv if argv is None else argv) or [APP_NAME]
    app = QApplication.instance() or QApplication(argv)
    configure_application(app)
    _install_excepthook()

    from gui.main_window import MainWindow  # after the QApplication: widgets need it

    window = MainWindow()
    window.show()
    if dataset:
        window.load_dataset(dataset)
    # macOS: a folder dropped on the Dock icon, or "Open With" in Finder
    app.installEventFilter(FolderOpenEvents(window.load_dataset, window))
    freeze_long_lived_objects()  # the window and its imports: gui.collector says why
    collector = GuiThreadCollector()  # cyclic garbage freed on this thread only: it says why
    try:
        return app.exec()
    finally:
        collector.stop()


if __name__ == "__main__":
    sys.exit(run_gui())
