"""The list of runs: one row per run folder (date, dataset, architecture, best validation
accuracy, epochs, status), sortable by value, several rows selectable for comparison.

The status column always shows: when the list is narrower than its columns (a 1280x720
window), the date first shows in its short form ("1 Dec 20:59", the full date in the
tooltip), the names and numbers give up the room kept for the sort arrow, then the dataset
and architecture names are elided, and last the "· guessing" mark, before a horizontal
scroll bar would hide the status."""

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
    QStyle,
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
    format_short_time,
    format_time,
    number,
    status_style,
)
from gui.widgets.accessible import ItemViewKeys, describe

COLUMNS = ("date", "dataset", "architecture", "best val acc", "test acc", "epochs", "status")
SortRole = Qt.ItemDataRole.UserRole + 1  # numbers and ISO dates, so columns sort by value
RunDirRole = Qt.ItemDataRole.UserRole + 2
ShortTextRole = Qt.ItemDataRole.UserRole + 3  # the date's short form ("1 Dec 20:59")
MAX_COLUMN_WIDTH = 140  # px
NAMES_ELIDED_TO = {"dataset": 56, "architecture": 64}  # px, the narrowest a name column gets
GUESSING_ELIDED_TO = 58  # px: "20.0 % · guess…" keeps the number

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
        if role == ShortTextRole and column == "date":
            return format_short_time(run.get("started"))
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
        if column == "date":  # the full date, when the column shows its short form
            lines.insert(0, f"Started {format_time(run.get('started'))}")
        if duration_text(run):
            lines.append(duration_text(run))
        return "\n".join(lines)


def shrinking_tiers(
    headers: dict[str, int], contents: dict[str, int], short_date: int
) -> list[dict[str, int]]:
    """Which columns give up width, tier after tier, and down to how many px: `headers`,
    the px each header's text needs (without the sort arrow's room), `contents` the px of
    each column's content, `short_date` of the dates' short form."""
    return [
        # Nothing is lost: the full date is in the tooltip.
        {"date": max(short_date, headers["date"])},
        {"dataset": headers["dataset"], "architecture": headers["architecture"]},
        # The room kept for the sort arrow; numbers are never elided.
        {"best val acc": headers["best val acc"]}
        | {name: max(headers[name], contents[name]) for name in ("test acc", "epochs")},
        NAMES_ELIDED_TO,  # their headers elided too ("archi…")
        {"best val acc": GUESSING_ELIDED_TO},
    ]


def shrunk_widths(natural: list[int], room: int, tiers: list[dict[str, int]]) -> list[int]:
    """Column widths (all but the last) that fit `room` px, taken tier by tier from the
    columns of `tiers` (within a tier in proportion to what each has to give), none
    narrower than its tier's px; unchanged when they already fit."""
    widths = list(natural)
    excess = sum(widths) - room
    for tier in tiers:
        spare = {
            COLUMNS.index(name): max(widths[COLUMNS.index(name)] - least, 0)
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


def text_margin(widget: QWidget) -> int:
    """The px an item view leaves on either side of a cell's text."""
    return widget.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1


class _ShortDate(QStyledItemDelegate):
    """The date in its short form ("1 Dec 20:59") when the whole one does not fit: "2026-1…
    20:59" lost the month and the day."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        width = option.rect.width()  # 0 when asked for a size hint: the whole date's
        room = width - 2 * text_margin(option.widget or self.parent())
        if width > 0 and option.fontMetrics.horizontalAdvance(option.text) > room:
            option.text = index.data(ShortTextRole) or option.text


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
        describe(self, "Runs")
        self.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it), no trap
        # Shift+F10 or Menu: the actions' menu at the current run; Space keeps selecting.
        self.keys = ItemViewKeys(self, space_activates=False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)  # e.g. status next to the date in a narrow window
        # A header narrower than its text ends in "…" rather than being cut at both ends;
        # elided in the weight the style sheet draws it in (measured in the regular one, the
        # text overflowed).
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        bold = QFont(header.font())
        bold.setWeight(QFont.Weight.DemiBold)
        header.setFont(bold)
        self._elide_right = _ElideRight(self)
        self.setItemDelegateForColumn(COLUMNS.index("best val acc"), self._elide_right)
        self._short_date = _ShortDate(self)
        self.setItemDelegateForColumn(COLUMNS.index("date"), self._short_date)
        self._natural: list[int] = []  # content widths of all but the last column
        self._tiers: list[dict[str, int]] = []  # what gives up width first (shrinking_tiers)

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
        self._tiers = shrinking_tiers(*self._measure())
        self.fit_width()

    def _measure(self) -> tuple[dict[str, int], dict[str, int], int]:
        """(px of each header's text, px of each column's content, px of the short dates)."""
        header = self.horizontalHeader()
        # Header sizes without the room every section keeps for the sort arrow: the text
        # (in the style sheet's font and padding) is what must not be cut.
        header.setSortIndicatorShown(False)
        headers = {name: header.sectionSizeHint(c) for c, name in enumerate(COLUMNS)}
        header.setSortIndicatorShown(True)
        contents = {name: self.sizeHintForColumn(c) for c, name in enumerate(COLUMNS)}
        date = COLUMNS.index("date")
        short = [
            self.proxy.index(row, date).data(ShortTextRole) or ""
            for row in range(self.proxy.rowCount())
        ]
        metrics = self.fontMetrics()
        short_date = max(map(metrics.horizontalAdvance, short), default=0)
        return headers, contents, short_date + 2 * text_margin(self) + 1  # + the grid line

    def fit_width(self) -> None:
        """Shrink columns (shrinking_tiers) so that the status column shows whole in the width
        the list has now (and give them their width back as it grows)."""
        if not self._natural:
            return
        header = self.horizontalHeader()
        # The vertical scroll bar's width is kept free whether it shows or not: it comes and
        # goes with the number of runs, without a resize event.
        frame = 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        room = self.width() - frame - self._status_width()
        for column, width in enumerate(shrunk_widths(self._natural, room, self._tiers)):
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
