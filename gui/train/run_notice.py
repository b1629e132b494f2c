"""The Train page's sentence about the current run: which path it takes and why ("Fine-tuning
EfficientNet-Lite0 (ImageNet weights bundled) because ..."), and, when the run ends with a model
that only guesses, that warning in plain words. Shown on the page, not only in the Log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from core.events import RunFinished, RunStarted

PLAN_STYLE = (
    "QLabel { color: #1E3A5F; background: #EAF2FB; border: 1px solid #B6CDE8;"
    " border-radius: 5px; padding: 5px 10px; }"
)
GUESSING_STYLE = (
    "QLabel { color: #7A4B00; background: #FFF4DC; border: 1px solid #E9C46A;"
    " border-radius: 5px; padding: 6px 10px; }"
)


class RunNotice(QLabel):
    """objectName "runNotice"; its `kind` property is "plan" or "guessing" (for tests)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runNotice")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def on_run_started(self, event: RunStarted) -> None:
        self._show(event.plan, "plan")

    def on_run_finished(self, event: RunFinished) -> None:
        if event.verdict:
            self._show(event.verdict, "guessing")

    def _show(self, text: str, kind: str) -> None:
        self.setProperty("kind", kind)
        self.setStyleSheet(GUESSING_STYLE if kind == "guessing" else PLAN_STYLE)
        self.setText(("⚠ " if kind == "guessing" else "") + text)
        self.setToolTip(text)
        self.setVisible(bool(text))
