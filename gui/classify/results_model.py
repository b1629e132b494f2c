"""Classification results as a Qt model: one row per classified image.

`ResultsModel` holds the rows (appended in batches while a folder is classified); its
DecorationRole is the thumbnail, requested from a ThumbnailCache only when a view asks.
gui.classify.results_filter shows a filtered, sorted subset of them.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from core.infer.results import ClassifiedImage
from gui.classify.classify_page_model import display_name
from gui.widgets.thumbnail_cache import ThumbnailCache

ResultRole = Qt.ItemDataRole.UserRole + 1  # the ClassifiedImage
PathRole = Qt.ItemDataRole.UserRole + 2  # str
LabelRole = Qt.ItemDataRole.UserRole + 3  # str, the predicted class
ConfidenceRole = Qt.ItemDataRole.UserRole + 4  # float 0..1
UnsureRole = Qt.ItemDataRole.UserRole + 5  # bool: confidence below the unsure threshold
# (ClassifiedImage, unsure, thumbnail or None): what a tile paints, in one call through the
# filter model (each data() call costs Python time on every paint of every tile).
TileRole = Qt.ItemDataRole.UserRole + 6

UNSURE = "\x00unsure"  # class filter value: every image below the unsure threshold
SORT_KEYS = ("name", "confidence", "margin")  # margin: top-1 minus top-2 probability
DEFAULT_UNSURE_THRESHOLD = 0.5
THUMBNAIL_NOTIFY_MS = 100  # coalesce finished thumbnails: one repaint for many of them
FEW_ROWS = 64  # up to this many finished thumbnails are announced row by row

Index = QModelIndex | QPersistentModelIndex


_DIGITS = re.compile(r"(\d+)")


def name_key(path: str) -> tuple[tuple[str | int, ...], str]:
    """Sort key for "name": the file name as a person reads it, case-insensitive, numbers by
    value (img_2 before img_10). re.split puts text at even and numbers at odd positions, so
    two keys never compare a str with an int; the whole name breaks ties (img_02, img_2)."""
    name = os.path.basename(path).casefold()
    parts = _DIGITS.split(name)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), name


def top_two_margin(result: ClassifiedImage) -> float:
    """How much more likely the best class is than the runner-up. The images with the lowest
    margin are the most useful to label next (uncertainty sampling, active learning)."""
    top = [p for _, p in result.top_k] or [result.confidence]
    return float(top[0] - (top[1] if len(top) > 1 else 0.0))


def tooltip_text(result: ClassifiedImage, unsure: bool) -> str:
    lines = [result.path, ""]
    lines += [f"{label}: {p * 100:.1f} %" for label, p in result.top_k]
    if unsure:
        lines.append("(unsure: below the confidence threshold)")
    return "\n".join(lines)


class ResultsModel(QAbstractListModel):
    """Every classified image, in the order they arrived."""

    unsureThresholdChanged = Signal(float)
    classesChanged = Signal()  # class names or per-class counts changed

    def __init__(self, thumbnails: ThumbnailCache | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.class_names: list[str] = []
        self.root = ""  # the classified folder: tiles name files relative to it
        self._results: list[ClassifiedImage] = []
        self._confidence: list[float] = []
        self._margin: list[float] = []  # top-1 minus top-2: low = the model hesitates
        self._name_keys: list[tuple[tuple[str | int, ...], str]] = []
        self._row_of_path: dict[str, int] = {}
        self._counts: Counter[str] = Counter()
        self._unsure_threshold = DEFAULT_UNSURE_THRESHOLD
        self._arrays: dict[str, np.ndarray] = {}  # numpy copies for filtering, rebuilt lazily
        self._changed_rows: set[int] = set()
        self._notify = QTimer(self)
        self._notify.setSingleShot(True)
        self._notify.setInterval(THUMBNAIL_NOTIFY_MS)
        self._notify.timeout.connect(self._emit_thumbnails_changed)
        if thumbnails is not None:
            thumbnails.thumbnailReady.connect(self._on_thumbnails_ready)

    # -- contents ------------------------------------------------------------------------
    def set_root(self, folder: str) -> None:
        self.root = folder

    def set_class_names(self, names: Sequence[str]) -> None:
        self.class_names = list(names)
        self.classesChanged.emit()

    def append_results(self, results: Sequence[ClassifiedImage]) -> None:
        """Add a batch (one beginInsertRows for the lot). A path seen before is skipped."""
        fresh = [r for r in results if r.path not in self._row_of_path]
        fresh = list({r.path: r for r in fresh}.values())  # a batch repeating a path
        if not fresh:
            return
        first = len(self._results)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for offset, result in enumerate(fresh):
            self._results.append(result)
            self._confidence.append(float(result.confidence))
            self._margin.append(top_two_margin(result))
            self._name_keys.append(name_key(result.path))
            self._row_of_path[result.path] = first + offset
            self._counts[result.label] += 1
        self._arrays.clear()
        self.endInsertRows()
        self.classesChanged.emit()

    def clear(self) -> None:
        self.beginResetModel()
        self._results.clear()
        self._confidence.clear()
        self._margin.clear()
        self._name_keys.clear()
        self._row_of_path.clear()
        self._counts.clear()
        self._arrays.clear()
        self._changed_rows.clear()
        self.endResetModel()
        self.classesChanged.emit()

    def replace_paths(self, moves: dict[str, str]) -> None:
        """Point rows at files that were moved (old path -> new path)."""
        updated = [replace(r, path=moves[r.path]) if r.path in moves else r for r in self._results]
        self.clear()
        self.append_results(updated)

    def result(self, row: int) -> ClassifiedImage:
        return self._results[row]

    def results(self) -> list[ClassifiedImage]:
        """All rows, in arrival order (a new list; the model keeps its own)."""
        return list(self._results)

    def row_of(self, path: str) -> int | None:
        return self._row_of_path.get(path)

    def label_counts(self) -> dict[str, int]:
        return dict(self._counts)

    def unsure_count(self) -> int:
        return int(np.count_nonzero(self.confidence_array() < self._unsure_threshold))

    def labels(self) -> list[str]:
        """Class names of the model, then any other label seen (e.g. results from elsewhere)."""
        extra = sorted(set(self._counts) - set(self.class_names))
        return self.class_names + extra

    # -- per-row values for ResultsFilterModel ---------------------------------------------
    def confidence_of(self, row: int) -> float:
        return self._confidence[row]

    def margin_of(self, row: int) -> float:
        return self._margin[row]

    def name_key_of(self, row: int) -> tuple[tuple[str | int, ...], str]:
        return self._name_keys[row]

    def label_of(self, row: int) -> str:
        return self._results[row].label

    def confidence_array(self) -> np.ndarray:
        if "confidence" not in self._arrays:
            self._arrays["confidence"] = np.asarray(self._confidence, dtype=np.float64)
        return self._arrays["confidence"]

    def label_mask(self, label: str) -> np.ndarray:
        key = "label:" + label
        if key not in self._arrays:
            self._arrays[key] = np.fromiter(
                (r.label == label for r in self._results), dtype=bool, count=len(self._results)
            )
        return self._arrays[key]

    # -- unsure threshold ----------------------------------------------------------------
    @property
    def unsure_threshold(self) -> float:
        return self._unsure_threshold

    def set_unsure_threshold(self, threshold: float) -> None:
        threshold = min(max(float(threshold), 0.0), 1.0)
        if threshold == self._unsure_threshold:
            return
        self._unsure_threshold = threshold
        if self._results:
            self.dataChanged.emit(self.index(0), self.index(len(self._results) - 1), [UnsureRole])
        self.unsureThresholdChanged.emit(threshold)

    def is_unsure(self, row: int) -> bool:
        # `not >=` counts a NaN confidence as unsure, as core.files.sorting does.
        return not self._confidence[row] >= self._unsure_threshold

    # -- Qt model ------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._results)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._results):
            return None
        result = self._results[row]
        if role == Qt.ItemDataRole.DecorationRole:
            # A miss queues a decode and answers None (the delegate paints a placeholder);
            # a file that cannot be decoded answers a null QImage.
            return self.thumbnails.get(result.path) if self.thumbnails is not None else None
        if role == Qt.ItemDataRole.DisplayRole:
            return display_name(result.path, self.root)
        if role == Qt.ItemDataRole.AccessibleTextRole:  # what a screen reader says for a tile
            unsure = ", unsure" if self.is_unsure(row) else ""
            name = display_name(result.path, self.root)
            return f"{name}: {result.label} {result.confidence * 100:.0f} %{unsure}"
        if role == ResultRole:
            return result
        if role == PathRole:
            return result.path
        if role == LabelRole:
            return result.label
        if role == ConfidenceRole:
            return result.confidence
        if role == UnsureRole:
            return self.is_unsure(row)
        if role == TileRole:
            return self.tile(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip_text(result, self.is_unsure(row))
        return None

    def tile(self, row: int) -> tuple[ClassifiedImage, bool, Any]:
        """What a tile paints (TileRole): the result, unsure, and the thumbnail or None (asking
        queues its decode)."""
        result = self._results[row]
        thumbnail = self.thumbnails.get(result.path) if self.thumbnails is not None else None
        return result, self.is_unsure(row), thumbnail

    def _on_thumbnails_ready(self, path: str) -> None:
        row = self._row_of_path.get(path)
        if row is not None:
            self._changed_rows.add(row)
            if not self._notify.isActive():
                self._notify.start()

    def _emit_thumbnails_changed(self) -> None:
        if not self._changed_rows:
            return
        rows = [r for r in self._changed_rows if r < len(self._results)]
        self._changed_rows.clear()
        roles = [Qt.ItemDataRole.DecorationRole]
        if len(rows) <= FEW_ROWS:
            # Row by row: a view repaints just those tiles, where a range makes it repaint
            # every visible tile (~300 on a 4K screen) for each batch of thumbnails.
            for row in sorted(rows):
                self.dataChanged.emit(self.index(row), self.index(row), roles)
        elif rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)), roles)
