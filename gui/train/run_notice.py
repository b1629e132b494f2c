"""The Train page's sentence about the current run: which path it takes and why ("Fine-tuning
EfficientNet-Lite0 (ImageNet weights bundled) because ..."), and, when the run ends with a model
that only guesses, that warning in plain words, or whether a run's unlabelled images helped.
Shown on the page, not only in the Log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from core.events import RunFinished, RunStarted

# core.train.semi_supervised's sentence when the unlabelled images helped (torch-free here).
UNLABELLED_HELPED = "Unlabelled images improved"

PLAN_STYLE = (
    "QLabel { color: #1E3A5F; background: #EAF2FB; border: 1px solid #B6CDE8;"
    " border-radius: 5px; padding: 5px 10px; }"
)
GUESSING_STYLE = (
    "QLabel { color: #7A4B00; background: #FFF4DC; border: 1px solid #E9C46A;"
    " border-radius: 5px; padding: 6px 10px; }"
)


PREPARING = "Preparing the run: reading the dataset, then choosing the model and device for it…"


class RunNotice(QLabel):
    """objectName "runNotice"; its `kind` property is "preparing", "plan", "guessing" or
    "unlabelled" (for tests)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runNotice")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def on_run_requested(self) -> None:
        """Train was pressed: hold the notice's place at once. Appearing later, with the
        run's plan, it pushed the plots down while they were live, and re-laying out three
        plots in one frame stalled a 4K window ~50 ms; now the plots move once, while they
        are being cleared anyway."""
        self.setMinimumHeight(0)
        self._show(PREPARING, "preparing")

    def on_run_started(self, event: RunStarted) -> None:
        if event.plan:
            self.setMinimumHeight(self.height())  # a shorter plan must not pull the plots up
            self._show(event.plan, "plan")
        else:
            self.hide()

    def on_run_finished(self, event: RunFinished) -> None:
        if self.property("kind") == "preparing":  # ended before it started: nothing prepared
            self.hide()
        if event.verdict:
            self._show(event.verdict, "guessing")
        elif event.unlabelled_verdict:
            helped = event.unlabelled_verdict.startswith(UNLABELLED_HELPED)
            self._show(event.unlabelled_verdict, "unlabelled", warning=not helped)

    def _show(self, text: str, kind: str, warning: bool | None = None) -> None:
        warning = kind == "guessing" if warning is None else warning
        self.setProperty("kind", kind)
        self.setStyleSheet(GUESSING_STYLE if warning else PLAN_STYLE)
        self.setText(("⚠ " if warning else "") + text)
        self.setToolTip(text)
        self.setVisible(bool(text))
