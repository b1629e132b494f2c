"""The dashboard's tabs under the predictions: the confusion matrix, the per-class table and
the log, with a line saying which epoch the matrix and the table are from. They show the
last validation pass, while the saved model (and the headline's "best validation
accuracy") is the best epoch's: the line says so when the two differ."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from core.events import EpochEnded
from gui.train.log_panel import LogPanel
from gui.train.train_page_model import evaluation_note
from gui.train.visible_updates import VisibleUpdates
from gui.widgets.class_metrics_table import ClassMetricsTable
from gui.widgets.confusion_matrix import ConfusionMatrixView


class EvaluationTabs(QWidget):
    """`show_epoch(ev, class_names)` each epoch, `run_finished(best_epoch)`, `clear()` for a
    new run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._visible_updates = VisibleUpdates(self)  # hidden tabs are rebuilt when shown
        self._epoch: int | None = None
        self._best_epoch: int | None = None
        self.matrix = ConfusionMatrixView()
        self.class_table = ClassMetricsTable()
        self.log = LogPanel()
        self.note = QLabel()
        self.note.setObjectName("evaluationNote")
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        self.note.hide()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("dashboardTabs")
        self.tabs.addTab(self.matrix, "Confusion matrix")
        self.tabs.addTab(self.class_table, "Per class")
        self.tabs.addTab(self.log, "Log")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)

    def clear(self) -> None:
        self._epoch = self._best_epoch = None
        self._visible_updates.apply(self.matrix, lambda: self.matrix.set_matrix([], []))
        self._visible_updates.apply(self.class_table, lambda: self.class_table.set_metrics([]))
        self.log.clear()
        self._show_note(False)

    def show_epoch(self, ev: EpochEnded, class_names: list[str]) -> None:
        names = list(class_names)
        self._visible_updates.apply(
            self.matrix, lambda: self.matrix.set_matrix(ev.confusion, names)
        )
        self._visible_updates.apply(
            self.class_table, lambda: self.class_table.set_metrics(ev.per_class)
        )
        self._epoch = ev.epoch
        if ev.is_best:
            self._best_epoch = ev.epoch
        self._show_note(False)

    def run_finished(self, best_epoch: int | None) -> None:
        """`best_epoch`: RunFinished's (0-based; also right for a resumed run)."""
        self._visible_updates.flush()
        if best_epoch is not None:
            self._best_epoch = best_epoch
        self._show_note(True)

    def _show_note(self, finished: bool) -> None:
        if self._epoch is not None:
            self.note.setText(evaluation_note(self._epoch, self._best_epoch, finished))
            self.note.setToolTip(
                "The confusion matrix and the per-class table show the last validation pass; "
                "the saved model, which Classify uses, is the epoch with the best validation "
                "accuracy."
            )
        self._on_tabs_current_changed()

    def _on_tabs_current_changed(self, *_args: object) -> None:
        has_epoch = self._epoch is not None
        self.note.setVisible(has_epoch and self.tabs.currentWidget() is not self.log)
