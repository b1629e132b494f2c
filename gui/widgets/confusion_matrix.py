"""Confusion matrix heatmap: rows are true classes, columns predicted ones.

Cells are coloured by their share of the row (the true class), green on the diagonal and red
off it, so a class that is often mistaken for another stands out whatever the class sizes."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyle,
    QStyleOptionHeader,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.accessible import ItemViewKeys, describe

RIGHT_RGB = (46, 125, 50)  # green, same as the prediction tiles
WRONG_RGB = (198, 40, 40)  # red
MAX_HEADER_TEXT = 120  # px: longer class names are elided (full name in the tooltip)
MIN_CELL = 22  # px: 30 classes fit in ~800 px
DENSE_CLASSES = 12  # above this many classes zeros are left blank: a wall of "0" hides the errors

CountRole = Qt.ItemDataRole.UserRole + 1  # int
RowFractionRole = Qt.ItemDataRole.UserRole + 2  # float, count / row total

Index = QModelIndex | QPersistentModelIndex


def cell_color(fraction: float, diagonal: bool) -> QColor:
    """White for 0, full colour for 1. Off-diagonal shares are usually small, so they get a
    square-root scale: 10 % of a class going to one wrong class is already worth seeing."""
    fraction = min(max(fraction, 0.0), 1.0)
    strength = fraction if diagonal else math.sqrt(fraction)
    r, g, b = RIGHT_RGB if diagonal else WRONG_RGB
    mix = lambda c: round(255 + (c - 255) * strength)  # noqa: E731
    return QColor(mix(r), mix(g), mix(b))


class ConfusionMatrixModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._matrix: list[list[int]] = []
        self._row_totals: list[int] = []
        self._cells: list[list[dict[int, Any]]] = []  # per cell: role -> value
        self.class_names: list[str] = []
        self.highlighted: tuple[int, int] | None = None

    def set_matrix(self, confusion: list[list[int]], class_names: list[str]) -> None:
        self.beginResetModel()
        self._matrix = [[int(v) for v in row] for row in confusion]
        self._row_totals = [sum(row) for row in self._matrix]
        self.class_names = list(class_names)
        self._cells = [
            [self._cell_roles(true, pred) for pred in range(len(row))]
            for true, row in enumerate(self._matrix)
        ]
        if self.highlighted and max(self.highlighted) >= len(self._matrix):
            self.highlighted = None
        self.endResetModel()

    def _cell_roles(self, true: int, pred: int) -> dict[int, Any]:
        """What the view asks of a cell on every repaint (Qt asks ~10 roles a cell): worked
        out once per matrix, so a repaint of 30 x 30 cells is lookups, not arithmetic."""
        count = self._matrix[true][pred]
        total = self._row_totals[true]
        fraction = count / total if total else 0.0
        if count == 0:
            foreground = QColor(185, 185, 185)
        else:
            strong = fraction if true == pred else math.sqrt(fraction)
            foreground = QColor(255, 255, 255) if strong > 0.55 else QColor(20, 20, 20)
        roles: dict[int, Any] = {
            Qt.ItemDataRole.DisplayRole: (
                "" if count == 0 and len(self._matrix) > DENSE_CLASSES else str(count)
            ),
            CountRole: count,
            RowFractionRole: fraction,
            Qt.ItemDataRole.BackgroundRole: cell_color(fraction, true == pred),
            Qt.ItemDataRole.ForegroundRole: foreground,
            Qt.ItemDataRole.TextAlignmentRole: Qt.AlignmentFlag.AlignCenter,
        }
        if true == pred:
            font = QFont()
            font.setBold(True)
            roles[Qt.ItemDataRole.FontRole] = font
        return roles

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._matrix)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() or not self._matrix else len(self._matrix[0])

    def _name(self, index: int) -> str:
        return self.class_names[index] if index < len(self.class_names) else f"class {index}"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        true, pred = index.row(), index.column()
        cell = self._cells[true][pred]
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return (
                f"true {self._name(true)} predicted as {self._name(pred)}: "
                f"{cell[CountRole]} ({cell[RowFractionRole] * 100:.1f} % of {self._name(true)})"
            )
        return cell.get(role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._name(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            side = "predicted" if orientation == Qt.Orientation.Horizontal else "true"
            return f"{side}: {self._name(section)}"
        return None


class _RotatedHeader(QHeaderView):
    """Column header that writes names bottom-to-top when they do not fit across, so 30
    columns stay narrow while 2 wide columns still read normally."""

    def __init__(self, parent: QTableView) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(True)
        self.setHighlightSections(False)
        self._rotated = False
        self.sectionResized.connect(self._on_section_resized)

    def _names(self) -> list[str]:
        model = self.model()
        if model is None:
            return []
        return [
            str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())
        ]

    def _needs_rotation(self) -> bool:
        metrics = self.fontMetrics()
        return any(
            metrics.horizontalAdvance(name) > self.sectionSize(c) - 8
            for c, name in enumerate(self._names())
        )

    def _on_section_resized(self, *_args: Any) -> None:
        if self._needs_rotation() != self._rotated:
            self._rotated = not self._rotated
            self.parent().updateGeometries()  # the header height depends on the rotation

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        self._rotated = self._needs_rotation()
        names = self._names()
        if self._rotated and names:
            longest = max(self.fontMetrics().horizontalAdvance(n) for n in names)
            hint.setHeight(min(MAX_HEADER_TEXT, longest) + 12)
        else:
            hint.setHeight(self.fontMetrics().height() + 10)
        return hint

    def paintSection(self, painter: QPainter, rect: QRect, logical_index: int) -> None:
        option = QStyleOptionHeader()
        self.initStyleOption(option)
        option.rect = rect
        option.section = logical_index
        self.style().drawControl(QStyle.ControlElement.CE_Header, option, painter, self)
        name = str(self.model().headerData(logical_index, Qt.Orientation.Horizontal))
        metrics = self.fontMetrics()
        painter.save()
        # All upright or all across: a mix of both reads as a glitch.
        if not self._needs_rotation():
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)
        else:
            text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, rect.height() - 10)
            painter.translate(rect.center().x(), rect.bottom() - 5)
            painter.rotate(-90)
            line = metrics.height()
            painter.drawText(
                QRect(0, -line // 2, rect.height() - 10, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        painter.restore()


class _MatrixTable(QTableView):
    """Frames the last clicked cell (selection colours would hide the heatmap). The frame is
    drawn over the cells, not by a Python delegate: Qt called one for every cell of every
    repaint (30 x 30 classes: 30 ms a repaint, now a few)."""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        highlighted = getattr(self.model(), "highlighted", None)
        if highlighted is None:
            return
        rect = self.visualRect(self.model().index(*highlighted))
        if not rect.isValid() or not event.region().intersects(rect):
            return
        painter = QPainter(self.viewport())
        painter.setPen(QPen(QColor(20, 20, 20), 2))
        # As a delegate drew it: the cell's rect, without the grid line on its right/bottom.
        painter.drawRect(rect.adjusted(1, 1, -1 - self._grid, -1 - self._grid))
        painter.end()

    @property
    def _grid(self) -> int:
        return 1 if self.showGrid() else 0


class ConfusionMatrixView(QWidget):
    """Heatmap table plus a caption saying which axis is which.

    `cellClicked(true, pred)`, `trueClassClicked(true)` (row header) and
    `predictedClassClicked(pred)` (column header) let the dashboard filter predictions."""

    cellClicked = Signal(int, int)
    trueClassClicked = Signal(int)
    predictedClassClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, name_prefix: str = "") -> None:
        """`name_prefix` "run" names it runConfusionMatrix (the dashboard's is confusionMatrix)."""
        super().__init__(parent)
        self.setObjectName(f"{name_prefix}ConfusionMatrix" if name_prefix else "confusionMatrix")
        self.matrix_model = ConfusionMatrixModel(self)
        self.table = _MatrixTable(self)
        self.table.setHorizontalHeader(_RotatedHeader(self.table))
        self.table.setModel(self.matrix_model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setCornerButtonEnabled(False)
        self.table.setShowGrid(True)
        self.table.setGridStyle(Qt.PenStyle.SolidLine)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setMinimumSectionSize(MIN_CELL)
            header.setDefaultSectionSize(MIN_CELL)
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        vertical = self.table.verticalHeader()
        vertical.setMaximumWidth(MAX_HEADER_TEXT + 12)
        vertical.setTextElideMode(Qt.TextElideMode.ElideRight)
        vertical.setSectionsClickable(True)
        vertical.setHighlightSections(False)

        self.caption = QLabel("Rows: true class · columns: predicted · colour: share of the row")
        self.caption.setWordWrap(True)
        self.caption.setProperty("role", "muted")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)

        self.table.clicked.connect(self._on_table_clicked)
        # From the keyboard: the arrow keys move, Return or Space filters as a click does.
        self.table.activated.connect(self._on_table_clicked)
        self.keys = ItemViewKeys(self.table)
        describe(self.table, "Confusion matrix", self.caption.text())
        self.table.setTabKeyNavigation(False)  # Tab leaves the matrix, no trap
        self.table.horizontalHeader().sectionClicked.connect(self.predictedClassClicked)
        vertical.sectionClicked.connect(self.trueClassClicked)

    def model(self) -> ConfusionMatrixModel:
        return self.matrix_model

    def set_matrix(self, confusion: list[list[int]], class_names: list[str]) -> None:
        self.matrix_model.set_matrix(confusion, class_names)
        # Cells must hold the largest count ("1234") without eliding.
        largest = max((max(row) for row in confusion if row), default=0)
        needed = self.table.fontMetrics().horizontalAdvance(f"{largest}") + 10
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setMinimumSectionSize(max(MIN_CELL, needed))
        self.table.horizontalHeader().updateGeometry()

    def clear_highlight(self) -> None:
        self.matrix_model.highlighted = None
        self.table.viewport().update()

    def _on_table_clicked(self, index: QModelIndex) -> None:
        self.matrix_model.highlighted = (index.row(), index.column())
        self.table.viewport().update()
        self.cellClicked.emit(index.row(), index.column())


def _demo(class_count: int = 6) -> ConfusionMatrixView:
    from gui.demo.demo_data import demo_class_names, demo_confusion

    view = ConfusionMatrixView()
    names = demo_class_names(class_count)
    view.set_matrix(demo_confusion(class_count, 0.8, seed=1), names)
    view.cellClicked.connect(lambda t, p: print(f"true {names[t]} predicted {names[p]}"))
    view.resize(620, 560)
    return view


if __name__ == "__main__":
    import sys

    from gui.demo.demo_app import run_demo

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    run_demo(lambda: _demo(count), f"ConfusionMatrixView demo ({count} classes)")
