"""The list of runs: one row per run folder (date, dataset, architecture, best validation
accuracy, epochs, status), sortable by value, several rows selectable for comparison.

The status column always shows: when the list is narrower than its columns (a 1280x720
window), the dataset and architecture names are elided first, then the date and the
"· guessing" mark, before a horizontal scroll bar would hide the status."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from gui.runs.guessing_warning import GUESSING_COLOR, GUESSING_MARK, verdict_of
from gui.runs.run_records import (
    duration_text,
    end_reason,
    folder_name,
    format_percent,
    format_time,
    number,
    status_style,
)

COLUMNS = ("date", "dataset", "architecture", "best val acc", "test acc", "epochs", "status")
SortRole = Qt.ItemDataRole.UserRole + 1  # numbers and ISO dates, so columns sort by value
RunDirRole = Qt.ItemDataRole.UserRole + 2
MAX_COLUMN_WIDTH = 140  # px
# Columns that give up width when the list is too narrow, tier by tier (within a tier in
# proportion to what each has to give), down to their header's width or this many px.
SHRINKING = (
    {"dataset": 56, "architecture": 64},
    {"date": 84, "best val acc": 58},
)

Index = QModelIndex | QPersistentModelIndex


class RunsTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.runs: list[dict[str, Any]] = []

    def set_runs(self, runs: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(run, column)
        if role == SortRole:
            return self._sort_value(run, column)
        if role == RunDirRole:
            return run.get("run_dir", "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(run, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QColor(status_style(run.get("status"))[1])
        if role == Qt.ItemDataRole.ForegroundRole and column == "best val acc":
            return QColor(GUESSING_COLOR) if verdict_of(run) else None
        if role == Qt.ItemDataRole.FontRole and column == "status":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            "best val acc",
            "test acc",
            "epochs",
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(run: dict[str, Any], column: str) -> str:
        if column == "date":
            return format_time(run.get("started"))
        if column == "dataset":
            return folder_name(str(run.get("dataset") or "")) or "—"
        if column == "architecture":
            return str(run.get("arch") or "—")
        if column == "best val acc":
            mark = f" · {GUESSING_MARK}" if verdict_of(run) else ""
            return format_percent(run.get("best_val_acc")) + mark
        if column == "test acc":  # the dataset's test split, evaluated once at the end
            return format_percent(run.get("test_acc"))
        if column == "epochs":
            done, total = number(run.get("epochs_completed")), number(run.get("epochs"))
            if done is None:
                return "—"
            return f"{int(done)} / {int(total)}" if total is not None else str(int(done))
        return status_style(run.get("status"))[0]

    @staticmethod
    def _sort_value(run: dict[str, Any], column: str) -> Any:
        if column == "date":
            return str(run.get("started") or "")
        if column == "best val acc":
            value = number(run.get("best_val_acc"))
            return -1.0 if value is None else value  # runs without a result sort below 0 %
        if column == "test acc":
            value = number(run.get("test_acc"))
            return -1.0 if value is None else value
        if column == "epochs":
            return number(run.get("epochs_completed")) or 0.0
        return RunsTableModel._text(run, column).lower()

    @staticmethod
    def _tooltip(run: dict[str, Any], column: str) -> str:
        if column == "dataset":
            return str(run.get("dataset") or "")
        if column == "status":
            return end_reason(run) or status_style(run.get("status"))[0]
        if column == "best val acc" and verdict_of(run):
            return verdict_of(run)
        lines = [str(run.get("run_dir", ""))]
        if duration_text(run):
            lines.append(duration_text(run))
        return "\n".join(lines)


def shrunk_widths(
    natural: list[int], room: int, headers: dict[str, int] | None = None
) -> list[int]:
    """Column widths (all but the last) that fit `room` px, taken from the SHRINKING columns
    tier by tier, none narrower than its minimum or its header text (`headers`: px by
    column); unchanged when they already fit."""
    widths = list(natural)
    excess = sum(widths) - room
    for tier in SHRINKING:
        spare = {
            COLUMNS.index(name): max(
                widths[COLUMNS.index(name)] - max(least, (headers or {}).get(name, 0)), 0
            )
            for name, least in tier.items()
        }
        total = sum(spare.values())
        if excess <= 0 or total <= 0:
            continue
        give = min(excess, total)
        for column, can in spare.items():
            widths[column] -= round(give * can / total)
        excess -= give
    return widths


class _ElideRight(QStyledItemDelegate):
    """ "20.0 % · guess…": the number is what must stay readable."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


class RunsTable(QTableView):
    """objectName "runsList"; `runs_model` holds the summaries, `proxy` sorts them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsList")
        self.runs_model = RunsTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.runs_model)
        self.proxy.setSortRole(SortRole)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)  # e.g. status next to the date in a narrow window
        self._elide_right = _ElideRight(self)
        self.setItemDelegateForColumn(COLUMNS.index("best val acc"), self._elide_right)
        self._natural: list[int] = []  # content widths of all but the last column

    def set_runs(self, runs: list[dict[str, Any]]) -> None:
        self.runs_model.set_runs(runs)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Columns as wide as their contents but no wider than MAX_COLUMN_WIDTH (long dataset
        names are elided; the full path is in the tooltip), narrower where the list is too
        narrow for all of them (fit_width); the user may resize them."""
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        self._natural = [
            min(header.sectionSize(column), MAX_COLUMN_WIDTH) for column in range(len(COLUMNS) - 1)
        ]
        self.fit_width()

    def fit_width(self) -> None:
        """Shrink the SHRINKING columns so that the status column shows whole in the width
        the list has now (and give them their width back as it grows)."""
        if not self._natural:
            return
        header = self.horizontalHeader()
        # The vertical scroll bar's width is kept free whether it shows or not: it comes and
        # goes with the number of runs, without a resize event.
        frame = 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        room = self.width() - frame - self._status_width()
        metrics = header.fontMetrics()
        headers = {name: metrics.horizontalAdvance(name) + 16 for name in COLUMNS}
        for column, width in enumerate(shrunk_widths(self._natural, room, headers)):
            header.resizeSection(column, width)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit_width()

    def _status_width(self) -> int:
        last = len(COLUMNS) - 1
        header = self.horizontalHeader()
        return max(self.sizeHintForColumn(last), header.sectionSizeHint(last), 90)

    def wanted_width(self) -> int:
        """The width that shows every column whole, the last one (status, stretched) at its
        content or header width, plus the vertical scroll bar and the frame."""
        header = self.horizontalHeader()
        natural = self._natural or [header.sectionSize(c) for c in range(len(COLUMNS) - 1)]
        columns = sum(natural) + self._status_width()
        return columns + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def run_dir_at(self, row: int) -> str:
        return self.proxy.index(row, 0).data(RunDirRole)

    def run_at(self, row: int) -> dict[str, Any]:
        return self.runs_model.runs[self.proxy.mapToSource(self.proxy.index(row, 0)).row()]
