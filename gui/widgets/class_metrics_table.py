"""Per-class precision, recall, F1 and support, with a macro-average "overall" row that stays
at the bottom whichever column is sorted."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from core.events import ClassMetrics
from gui.widgets.accessible import describe

COLUMNS = ("class", "precision", "recall", "F1", "support")
OVERALL = "overall"  # short: the class column is narrow on the dashboard
OVERALL_TOOLTIP = "Overall: the macro average, in which every class counts the same"
WEAK_F1 = 0.5  # below this a class is shown in red: it needs more or cleaner images
SortRole = Qt.ItemDataRole.UserRole + 1  # the number behind a cell, for sorting and tests

Index = QModelIndex | QPersistentModelIndex


def macro_average(per_class: list[ClassMetrics]) -> ClassMetrics:
    """Unweighted mean over classes (every class counts the same), support summed."""

    def mean(values: list[float]) -> float:
        finite = [v for v in values if math.isfinite(v)]
        return sum(finite) / len(finite) if finite else math.nan

    return ClassMetrics(
        OVERALL,
        mean([m.precision for m in per_class]),
        mean([m.recall for m in per_class]),
        mean([m.f1 for m in per_class]),
        sum(m.support for m in per_class),
    )


class ClassMetricsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ClassMetrics] = []

    def set_metrics(self, per_class: list[ClassMetrics]) -> None:
        self.beginResetModel()
        self._rows = [*per_class, macro_average(per_class)] if per_class else []
        self.endResetModel()

    def is_overall(self, row: int) -> bool:
        return row == len(self._rows) - 1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        metrics = self._rows[index.row()]
        column = index.column()
        value: Any = (metrics.name, metrics.precision, metrics.recall, metrics.f1, metrics.support)[
            column
        ]
        if role == SortRole:
            if column == 0:
                return value.lower()
            # float(): numpy scalars would reach Qt as opaque objects that do not sort.
            value = float(value)
            return value if math.isfinite(value) else -1.0
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return value
            if column == 4:
                return f"{value:,}"
            return f"{value * 100:.1f} %" if math.isfinite(value) else "–"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignLeft if column == 0 else Qt.AlignmentFlag.AlignRight
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole and self.is_overall(index.row()):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and metrics.f1 < WEAK_F1:
            return QColor(198, 40, 40)
        if role == Qt.ItemDataRole.BackgroundRole and self.is_overall(index.row()):
            return QColor(240, 240, 240)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return OVERALL_TOOLTIP if self.is_overall(index.row()) else value
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                "",
                "Of the images predicted as this class, the share that really are",
                "Of the images of this class, the share found",
                "Harmonic mean of precision and recall",
                "Validation images of this class",
            )[section]
        return None


class _OverallLastProxy(QSortFilterProxyModel):
    def lessThan(self, left: Index, right: Index) -> bool:
        source: ClassMetricsModel = self.sourceModel()
        left_overall, right_overall = source.is_overall(left.row()), source.is_overall(right.row())
        if left_overall or right_overall:
            # Qt reverses lessThan for descending order; answer so "overall" ends last in both.
            descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
            return left_overall == descending
        return super().lessThan(left, right)


class ClassMetricsTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classMetricsTable")
        describe(self, "Per-class metrics", "Precision, recall, F1 and images of each class")
        self.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it), no trap
        self.metrics_model = ClassMetricsModel(self)
        self.proxy = _OverallLastProxy(self)
        self.proxy.setSourceModel(self.metrics_model)
        self.proxy.setSortRole(SortRole)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # dataset order until a click
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def set_metrics(self, per_class: list[ClassMetrics]) -> None:
        self.metrics_model.set_metrics(per_class)


def _demo(class_count: int = 8) -> ClassMetricsTable:
    from gui.demo.demo_data import demo_class_names, demo_epochs

    table = ClassMetricsTable()
    table.set_metrics(demo_epochs(demo_class_names(class_count), epochs=8)[0].per_class)
    table.resize(520, 340)
    return table


if __name__ == "__main__":
    from gui.demo.demo_app import run_demo

    run_demo(_demo, "ClassMetricsTable demo")
