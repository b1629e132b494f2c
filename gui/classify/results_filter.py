"""A filtered and sorted view of a ResultsModel, written for 50,000 rows: a filter or sort
change is one numpy/sort pass (tens of ms), and rows arriving while classification runs are
merged into place with bisect, one beginInsertRows per contiguous run (or, for a batch that
lands in many places, one insert and one reorder), so the view keeps its scroll position. (QSortFilterProxyModel would call Python for every comparison: seconds for
50,000 rows.)
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt, Signal

from core.infer.results import ClassifiedImage
from gui.classify.results_model import SORT_KEYS, UNSURE, Index, ResultsModel

# A batch whose rows go to more places than this is inserted at the end and then reordered.
SCATTERED_GROUPS = 16


class ResultsFilterModel(QAbstractListModel):
    """The rows of a ResultsModel that pass the filters, in the chosen order.

    Filters: class (None = all, a class name, or UNSURE), confidence range [low, high].
    Order: "name" (file name) or "confidence", ascending or descending; ties by name, then
    arrival. Internally the accepted source rows are kept in ascending key order; a
    descending view reads that list backwards.
    """

    filterChanged = Signal()  # the set or order of shown rows was rebuilt

    def __init__(self, source: ResultsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._class: str | None = None
        self._low = 0.0
        self._high = 1.0
        self._sort_key = "name"
        self._descending = False
        self._ascending_rows: list[int] = []  # source rows, ascending by self._key
        # Their keys, in the same order: new rows find their places by comparing keys in C
        # (bisect, merge), not by calling self._key for rows already placed (a batch into
        # 10,000 rows sorted by name took 20 ms that way, growing with the rows).
        self._ascending_keys: list[Any] | None = []
        self._inverse: np.ndarray | None = None  # source row -> proxy row (-1 hidden), lazy
        self._key: Callable[[int], Any] = self._name_key
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._on_source_reset)
        source.rowsInserted.connect(self._on_source_rows_inserted)
        source.dataChanged.connect(self._on_source_data_changed)
        source.unsureThresholdChanged.connect(self._on_unsure_threshold_changed)
        self._rebuild()

    def sourceModel(self) -> ResultsModel:
        return self._source

    # -- filter and sort settings ----------------------------------------------------------
    @property
    def class_filter(self) -> str | None:
        return self._class

    @property
    def confidence_range(self) -> tuple[float, float]:
        return self._low, self._high

    @property
    def sort_key(self) -> str:
        return self._sort_key

    @property
    def descending(self) -> bool:
        return self._descending

    def set_class_filter(self, label: str | None) -> None:
        if label != self._class:
            self._class = label
            self.invalidate()

    def set_confidence_range(self, low: float, high: float) -> None:
        low, high = float(low), float(high)
        if (low, high) != (self._low, self._high):
            self._low, self._high = low, high
            self.invalidate()

    def is_filtering(self) -> bool:
        """Whether a class or confidence filter may hide results."""
        return self._class is not None or (self._low, self._high) != (0.0, 1.0)

    def clear_filters(self) -> None:
        """Every class, every confidence (the order stays): one rebuild, not one per filter."""
        if self.is_filtering():
            self._class, self._low, self._high = None, 0.0, 1.0
            self.invalidate()

    def set_sort(self, key: str, descending: bool = False) -> None:
        if key not in SORT_KEYS:
            raise ValueError(f"sort key must be one of {SORT_KEYS}, got {key!r}")
        if (key, descending) != (self._sort_key, self._descending):
            self._sort_key, self._descending = key, descending
            self._key = {
                "name": self._name_key,
                "confidence": self._confidence_key,
                "margin": self._margin_key,
            }[key]
            self.invalidate()

    def invalidate(self) -> None:
        """Re-filter and re-sort everything (a filter or the sort changed)."""
        self.beginResetModel()
        self._rebuild()
        self.endResetModel()
        self.filterChanged.emit()

    # -- rows ----------------------------------------------------------------------------
    def source_row(self, row: int) -> int:
        rows = self._ascending_rows
        return rows[len(rows) - 1 - row] if self._descending else rows[row]

    def mapToSource(self, index: Index) -> QModelIndex:
        if not index.isValid() or not 0 <= index.row() < len(self._ascending_rows):
            return QModelIndex()
        return self._source.index(self.source_row(index.row()))

    def mapFromSource(self, source_index: Index) -> QModelIndex:
        if not source_index.isValid():
            return QModelIndex()
        if self._inverse is None:
            inverse = np.full(self._source.rowCount(), -1, dtype=np.int64)
            rows = np.asarray(self._ascending_rows, dtype=np.int64)
            order = np.arange(len(rows), dtype=np.int64)
            inverse[rows] = order[::-1] if self._descending else order
            self._inverse = inverse
        src = source_index.row()
        row = int(self._inverse[src]) if src < len(self._inverse) else -1
        return self.index(row) if row >= 0 else QModelIndex()

    def result(self, row: int) -> ClassifiedImage:
        return self._source.result(self.source_row(row))

    def shown_results(self) -> list[ClassifiedImage]:
        """What the view shows, in its order."""
        return [self.result(r) for r in range(len(self._ascending_rows))]

    def index(self, row: int, column: int = 0, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # QAbstractListModel.index asks rowCount() through Qt for every index: the grid
        # makes ~300 indexes a frame.
        if parent.isValid() or column != 0 or not 0 <= row < len(self._ascending_rows):
            return QModelIndex()
        return self.createIndex(row, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._ascending_rows)

    def tile(self, row: int) -> tuple[ClassifiedImage, bool, Any]:
        """TileRole of `row`, without the Qt model round trip (the grid asks ~300 times a
        frame at 4K)."""
        return self._source.tile(self.source_row(row))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ascending_rows):
            return None
        return self._source.data(self._source.index(self.source_row(index.row())), role)

    # -- filtering -----------------------------------------------------------------------
    def _name_key(self, row: int) -> tuple[Any, int]:
        return self._source.name_key_of(row), row

    def _confidence_key(self, row: int) -> tuple[float, Any, int]:
        conf = self._source.confidence_of(row)
        return (conf if conf == conf else -1.0), self._source.name_key_of(row), row  # NaN first

    def _margin_key(self, row: int) -> tuple[float, Any, int]:
        margin = self._source.margin_of(row)
        return (margin if margin == margin else -1.0), self._source.name_key_of(row), row

    def _accepts(self, row: int) -> bool:
        src = self._source
        conf = src.confidence_of(row)
        if not self._low <= conf <= self._high:
            return False
        if self._class == UNSURE:
            return src.is_unsure(row)
        return self._class is None or src.label_of(row) == self._class

    def _accepted_mask(self) -> np.ndarray:
        src = self._source
        conf = src.confidence_array()
        with np.errstate(invalid="ignore"):
            mask = (conf >= self._low) & (conf <= self._high)
            if self._class == UNSURE:
                mask &= ~(conf >= src.unsure_threshold)
            elif self._class is not None:
                mask &= src.label_mask(self._class)
        return mask

    def _rebuild(self) -> None:
        rows = np.flatnonzero(self._accepted_mask()).tolist()
        rows.sort(key=self._key)
        self._ascending_rows = rows
        self._ascending_keys = None  # worked out when rows first arrive: a sort stays quick
        self._inverse = None

    def _keys(self) -> list[Any]:
        """The sort keys of the shown rows, in their order."""
        if self._ascending_keys is None:
            self._ascending_keys = list(map(self._key, self._ascending_rows))
        return self._ascending_keys

    # -- source changes ------------------------------------------------------------------
    def _on_source_reset(self) -> None:
        self._rebuild()
        self.endResetModel()
        self.filterChanged.emit()

    def _on_source_rows_inserted(self, parent: Index, first: int, last: int) -> None:
        key = self._key
        new = sorted((key(r), r) for r in range(first, last + 1) if self._accepts(r))
        if not new:
            return
        keys = self._keys()
        positions = [bisect.bisect_right(keys, k) for k, _ in new]
        groups = [
            (pos, [pair for _, pair in grp])
            for pos, grp in itertools.groupby(zip(positions, new, strict=True), lambda t: t[0])
        ]
        if len(groups) > SCATTERED_GROUPS:
            self._insert_scattered(groups)
            return
        rows = self._ascending_rows
        # Highest position first: inserting there leaves the lower positions valid.
        for pos, group in reversed(groups):
            first_row = len(rows) - pos if self._descending else pos
            self.beginInsertRows(QModelIndex(), first_row, first_row + len(group) - 1)
            rows[pos:pos] = [row for _, row in group]
            keys[pos:pos] = [k for k, _ in group]
            self._inverse = None
            self.endInsertRows()

    def _insert_scattered(self, groups: list[tuple[int, list[tuple[Any, int]]]]) -> None:
        """Rows going to many places at once (a batch of results from every folder, sorted by
        name; `groups`: (position, its (key, row) pairs), positions ascending): one insert at
        the end, then one reorder that puts them in their places. An insert per place made
        the view lay itself out again each time: 10-15 ms of the window for a batch of 600
        results (benchmarks/gui_responsiveness.py). Selected and current rows keep their
        results."""
        rows, keys = self._ascending_rows, self._keys()  # as they were: sliced below
        arriving = [row for _, group in groups for _, row in group]
        self.beginInsertRows(QModelIndex(), len(rows), len(rows) + len(arriving) - 1)
        # Meanwhile at the end of the view (of the list, or its start when descending).
        self._ascending_rows = arriving[::-1] + rows if self._descending else rows + arriving
        self._inverse = None
        self.endInsertRows()

        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        sources = [self.source_row(index.row()) for index in persistent]
        placed_rows: list[int] = []
        placed_keys: list[Any] = []
        start = 0
        for pos, group in groups:  # the rows in between are copied, never compared again
            placed_rows += rows[start:pos]
            placed_keys += keys[start:pos]
            placed_rows += [row for _, row in group]
            placed_keys += [k for k, _ in group]
            start = pos
        placed_rows += rows[start:]
        placed_keys += keys[start:]
        self._ascending_rows, self._ascending_keys = placed_rows, placed_keys
        self._inverse = None
        moved = [self.mapFromSource(self._source.index(source)) for source in sources]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _on_source_data_changed(self, top_left: Index, bottom_right: Index, roles: list) -> None:
        n = len(self._ascending_rows)
        if not n:
            return
        if top_left.row() == bottom_right.row():
            index = self.mapFromSource(top_left)
            if index.isValid():
                self.dataChanged.emit(index, index, roles)
            return
        # A range of source rows is scattered in this order: repaint the lot (cheap in a view).
        self.dataChanged.emit(self.index(0), self.index(n - 1), roles)

    def _on_unsure_threshold_changed(self, _threshold: float) -> None:
        if self._class == UNSURE:
            self.invalidate()
