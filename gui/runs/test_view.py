"""The Runs page's "Test" tab: the run's test_report (its best model, evaluated once on the
dataset's test split at the end of training): summary, confusion matrix, per-class table
and the misclassified images; double-click one to see it large and ask "Why?"."""

from __future__ import annotations

import json
import os
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.events import ClassMetrics
from gui.widgets.accessible import ItemViewKeys, describe
from gui.widgets.class_metrics_table import ClassMetricsTable
from gui.widgets.confusion_matrix import ConfusionMatrixView
from gui.widgets.image_detail import ImageDetailDialog
from gui.widgets.open_path import open_path
from gui.widgets.thumbnail_cache import ThumbnailCache

TEST_REPORT = os.path.join("test_report", "report.json")
THUMB = 72  # px
MIN_MISTAKES = THUMB + 40  # px: the mistakes keep at least their label and most of a row
MIN_CLASS_ROWS = 2  # the per-class table keeps its header and this many rows
PathRole = Qt.ItemDataRole.UserRole + 1


def read_report(path: str) -> dict[str, Any] | None:
    """report.json's content, or None when absent or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "confusion_matrix" in data else None


def summary_text(report: dict[str, Any]) -> str:
    acc = report.get("accuracy", 0.0)
    text = (
        f"Test accuracy <b>{acc:.1%}</b> on {report.get('images', 0):,} images "
        f"({len(report.get('misclassified', [])):,} misclassified) · calibration error (ECE) "
        f"{report.get('ece', 0.0):.3f}, {report.get('ece_uncalibrated', 0.0):.3f} before "
        f"temperature scaling (T = {report.get('temperature', 1.0):.2f})"
    )
    unknown = report.get("unknown_classes") or {}
    if unknown:
        text += " · not evaluated (unknown to the model): " + ", ".join(unknown)
    return text


class TestView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("testView")
        self.run_dir = ""
        self.report: dict[str, Any] | None = None
        self._mistakes: list[dict[str, Any]] = []
        self._detail: ImageDetailDialog | None = None
        self.thumbnails = ThumbnailCache(size=THUMB, parent=self)

        self.summary = QLabel(objectName="testSummary", wordWrap=True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.open_button = QPushButton("Open report", objectName="openTestReportButton")
        self.open_button.setToolTip("report.html: one page with all of it, also offline")
        self.confusion = ConfusionMatrixView(name_prefix="test")
        self.class_table = ClassMetricsTable()
        self.class_table.setObjectName("testClassTable")
        describe(self.class_table, "Per-class test metrics")
        describe(self.confusion.table, "Test confusion matrix", self.confusion.caption.text())
        # Wrapped: one line of it would set the whole Runs detail's minimum width.
        self.mistakes_label = QLabel(objectName="testMistakesLabel", wordWrap=True)
        self.mistakes = QListWidget(objectName="testMistakes")
        self.mistakes.setViewMode(QListWidget.ViewMode.IconMode)
        self.mistakes.setIconSize(QSize(THUMB, THUMB))
        self.mistakes.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.mistakes.setMovement(QListWidget.Movement.Static)
        self.mistakes.setWordWrap(True)
        self.mistakes.setGridSize(QSize(THUMB + 40, THUMB + 38))
        describe(self.mistakes, "Misclassified test images")
        self.keys = ItemViewKeys(self.mistakes)  # Space opens one, as Return does

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        lower = QWidget()
        lower_box = QVBoxLayout(lower)
        lower_box.setContentsMargins(0, 0, 0, 0)
        lower_box.addWidget(self.mistakes_label)
        lower_box.addWidget(self.mistakes, 1)
        split = self.split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.confusion)
        split.addWidget(self.class_table)
        split.addWidget(lower)
        split.setChildrenCollapsible(False)
        self._split_dragged = False  # the user sized the parts: leave them as they are
        split.splitterMoved.connect(self._on_split_moved)
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(4, 6, 4, 4)
        box.addLayout(top)
        box.addWidget(split, 1)
        self.empty = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.empty.setObjectName("testEmptyLabel")
        self.empty.setProperty("role", "muted")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        self.open_button.clicked.connect(self._on_open_clicked)
        self.confusion.cellClicked.connect(self._on_cell_clicked)
        self.mistakes.itemActivated.connect(self._on_mistake_activated)
        self.thumbnails.thumbnailReady.connect(self._on_thumbnail_ready)

    def show_run(self, run_dir: str) -> None:
        self.run_dir = run_dir
        self.report = read_report(os.path.join(run_dir, TEST_REPORT)) if run_dir else None
        if self.report is None:
            self.empty.setText(
                "No test results. A dataset with a test/ folder (beside train/ and val/) is "
                "evaluated on it once, with the best model, when its run ends."
            )
            self.stack.setCurrentWidget(self.empty)
            return
        r = self.report
        self.stack.setCurrentIndex(1)
        self.summary.setText(summary_text(r))
        names = list(r.get("class_names", []))
        self.confusion.set_matrix(r.get("confusion_matrix", []), names)
        self.class_table.set_metrics(
            [
                ClassMetrics(n, m["precision"], m["recall"], m["f1"], m["support"])
                for n, m in r.get("per_class", {}).items()
            ]
        )
        self._show_mistakes(None)
        self.fit_split()

    def _on_split_moved(self, *_args: Any) -> None:
        self._split_dragged = True

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.fit_split()  # the tab was hidden while its run was chosen: sizes were unknown

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit_split()

    def fit_split(self) -> None:
        """The whole confusion matrix first (no scroll bar for the few classes of most test
        sets), then the per-class table, the misclassified images the rest, at least one row
        of them; until the user drags the splitter."""
        split = self.split
        if self._split_dragged or self.report is None or not split.isVisible():
            return
        total = split.height() - 2 * split.handleWidth()
        matrix, table = self._matrix_height(), self._table_height()
        table_min = self._table_height(MIN_CLASS_ROWS)
        matrix = max(min(matrix, total - MIN_MISTAKES - table_min), 0)
        table = max(min(table, total - matrix - MIN_MISTAKES), table_min)
        split.setSizes([matrix, table, max(total - matrix - table, 0)])

    def _matrix_height(self) -> int:
        """The matrix with every row at its smallest and its caption."""
        view = self.confusion
        table = view.table
        rows = table.model().rowCount()
        caption = view.caption.heightForWidth(max(view.width(), 1))
        return (
            max(caption, view.caption.sizeHint().height())
            + view.layout().spacing()
            + table.horizontalHeader().sizeHint().height()
            + rows * table.verticalHeader().minimumSectionSize()
            + 2 * table.frameWidth()
        )

    def _table_height(self, rows: int | None = None) -> int:
        table = self.class_table
        count = table.model().rowCount() if rows is None else rows
        return (
            table.horizontalHeader().sizeHint().height()
            + count * table.verticalHeader().defaultSectionSize()
            + 2 * table.frameWidth()
        )

    def _show_mistakes(self, cell: tuple[str, str] | None) -> None:
        rows = (self.report or {}).get("misclassified", [])
        if cell is not None:
            rows = [m for m in rows if (m["label"], m["predicted"]) == cell]
        self._mistakes = rows
        where = f" ({cell[0]} taken for {cell[1]})" if cell else ""
        self.mistakes_label.setText(
            f"Misclassified images{where}: {len(rows):,}, most confident first. "
            "Double-click one (or Return) to see it large and ask why."
        )
        self.mistakes.clear()
        for m in rows:
            item = QListWidgetItem(f"{m['predicted']}\n{m['confidence'] * 100:.0f} %")
            item.setData(PathRole, m["path"])
            item.setToolTip(f"{m['path']}\ntrue: {m['label']} · predicted: {m['predicted']}")
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                f"{os.path.basename(m['path'])}: true {m['label']}, predicted "
                f"{m['predicted']} {m['confidence'] * 100:.0f} %",
            )
            image = self.thumbnails.get(m["path"])
            if image is not None and not image.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            self.mistakes.addItem(item)

    def _on_thumbnail_ready(self, path: str) -> None:
        image = self.thumbnails.peek(path)
        if image is None or image.isNull():
            return
        for row in range(self.mistakes.count()):
            item = self.mistakes.item(row)
            if item.data(PathRole) == path:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def _on_cell_clicked(self, true_index: int, pred_index: int) -> None:
        names = (self.report or {}).get("class_names", [])
        if true_index == pred_index or max(true_index, pred_index) >= len(names):
            self._show_mistakes(None)
        else:
            self._show_mistakes((names[true_index], names[pred_index]))

    def _on_mistake_activated(self, item: QListWidgetItem) -> None:
        row = self.mistakes.row(item)
        if 0 <= row < len(self._mistakes):
            self.show_mistake(self._mistakes[row])

    def show_mistake(self, mistake: dict[str, Any]) -> ImageDetailDialog:
        if self._detail is None:
            self._detail = ImageDetailDialog(self)
        self._detail.set_model(self.run_dir)
        top_k = [(str(n), float(p)) for n, p in mistake.get("top_k", [])] or [
            (mistake["predicted"], float(mistake["confidence"]))
        ]
        path = mistake["path"]
        self._detail.show_prediction(path, os.path.basename(path), top_k, mistake["label"])
        return self._detail

    def _on_open_clicked(self) -> None:
        html_path = os.path.join(self.run_dir, "test_report", "report.html")
        if os.path.isfile(html_path):
            open_path(self, html_path, "the test report")
