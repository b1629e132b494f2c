"""Test set-up: Qt runs offscreen (no display needed) and tests may not leak threads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Before any Qt import: pytest-qt aborts without a display otherwise.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep settings written by the GUI out of the user's real configuration.
os.environ.setdefault("LOUPE_TEST_MODE", "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _no_leaked_qthreads(request):
    """Fail a test that leaves a QThread running: at exit that is a crash."""
    yield
    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    running = [t for t in app.findChildren(QThread) if t.isRunning()]
    # Threads are usually parented to widgets, so look there too.
    for widget in app.allWidgets():
        running += [t for t in widget.findChildren(QThread) if t.isRunning()]
    running = list({id(t): t for t in running}.values())
    if running:
        for t in running:
            t.quit()
            t.wait(5000)
        pytest.fail(f"test left {len(running)} QThread(s) running")
