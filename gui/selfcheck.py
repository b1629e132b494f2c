"""The Qt part of `--self-test` (core must not import Qt, so it lives here)."""

from __future__ import annotations

import os


def check_qt(state: dict) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(["loupe-self-test"])
    label = QLabel("Loupe")
    label.resize(120, 30)
    image = label.grab().toImage()
    assert not image.isNull() and image.width() > 0
    plot = pg.PlotWidget()
    plot.plot([0, 1, 2], [1, 0, 1])
    plot.close()
    label.close()
    app.processEvents()
    return f"PySide6 {pyside_version}, pyqtgraph {pg.__version__}, platform {app.platformName()}"
