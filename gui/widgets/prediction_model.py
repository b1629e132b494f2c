"""The prediction grid's data: one row per sampled validation image, and the filter that
keeps one confusion cell. The view is gui.widgets.prediction_grid.

A sample's picture becomes a QPixmap once: the same validation images come back every epoch,
so their pixmaps are reused and only tiles whose prediction changed are drawn again."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QImage, QPixmap

from core.events import PredictionSample, PredictionsSampled

THUMBNAIL_SIZE = 96  # px, longest side of a tile's picture
TILE_PADDING = 6  # px around the picture, inside the coloured border
TEXT_MARGIN = 4  # px between the coloured border and the labels
MIN_TILE_WIDTH = THUMBNAIL_SIZE + 2 * TILE_PADDING + 14  # px; 3 columns fit a 400 px grid
MAX_TEXT_WIDTH = 150  # px; longer class names are elided (the tooltip has them in full)
CONFIDENCE_GAP = 6  # px between the predicted name and its confidence
TRUE_PREFIX = "true: "
RIGHT_COLOR = QColor(46, 125, 50)  # green
WRONG_COLOR = QColor(198, 40, 40)  # red
WRONG_BACKGROUND = QColor(253, 236, 234)  # pale red: mistakes stand out when scanning the grid

SampleRole = Qt.ItemDataRole.UserRole + 1  # the PredictionSample
CorrectRole = Qt.ItemDataRole.UserRole + 2  # bool
ThumbnailRole = Qt.ItemDataRole.UserRole + 3  # QPixmap, at most THUMBNAIL_SIZE
TrueLabelRole = Qt.ItemDataRole.UserRole + 4  # str
PredictedLabelRole = Qt.ItemDataRole.UserRole + 5  # str
# (sample, thumbnail, true label, predicted label): what a tile shows, in one call
TileRole = Qt.ItemDataRole.UserRole + 6

Index = QModelIndex | QPersistentModelIndex


def tile_is_correct(sample: PredictionSample) -> bool:
    return sample.true_index == sample.pred_index


def tile_color(correct: bool) -> QColor:
    return QColor(RIGHT_COLOR if correct else WRONG_COLOR)


def numpy_to_qimage(array: np.ndarray) -> QImage:
    """An independent QImage (the numpy buffer may be freed or reused by the sender)."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    array = np.ascontiguousarray(array)
    height, width, channels = array.shape
    fmt = QImage.Format.Format_RGBA8888 if channels == 4 else QImage.Format.Format_RGB888
    return QImage(array.data, width, height, channels * width, fmt).copy()


def class_label(class_names: Sequence[str], index: int) -> str:
    return class_names[index] if 0 <= index < len(class_names) else f"class {index}"


class PredictionGridModel(QAbstractListModel):
    """One row per sampled validation image."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._samples: list[PredictionSample] = []
        self._thumbnails: list[QPixmap] = []
        self._by_path: dict[str, tuple[np.ndarray, QPixmap]] = {}  # last epoch's, for reuse
        self.class_names: list[str] = []
        # Every validation image's (true, predicted), to count a filter over the whole set.
        self.all_true: list[int] = []
        self.all_pred: list[int] = []

    def set_predictions(self, ev: PredictionsSampled) -> None:
        thumbnails = [self._reused_thumbnail(s) for s in ev.samples]
        self._by_path = {
            s.path: (s.image, pixmap) for s, pixmap in zip(ev.samples, thumbnails, strict=True)
        }
        same_rows = len(ev.samples) == len(self._samples) and ev.class_names == self.class_names
        if not same_rows:
            self.beginResetModel()
        self._samples = list(ev.samples)
        self._thumbnails = thumbnails
        self.class_names = list(ev.class_names)
        self.all_true, self.all_pred = list(ev.all_true), list(ev.all_pred)
        if same_rows:
            # Usually the same images every epoch: an in-place update keeps the view's
            # scroll position and selection.
            if self._samples:
                self.dataChanged.emit(self.index(0), self.index(len(self._samples) - 1))
        else:
            self.endResetModel()

    def _reused_thumbnail(self, sample: PredictionSample) -> QPixmap:
        """Last epoch's pixmap when the image is the same (usually: the same validation
        images are sampled every epoch), so its tile is drawn again only if its prediction
        changed."""
        seen = self._by_path.get(sample.path)
        if seen is not None and np.array_equal(seen[0], sample.image):
            return seen[1]
        return self._thumbnail(sample.image)

    @staticmethod
    def _thumbnail(image: np.ndarray) -> QPixmap:
        qimage = numpy_to_qimage(image)
        if max(qimage.width(), qimage.height()) != THUMBNAIL_SIZE:
            qimage = qimage.scaled(
                THUMBNAIL_SIZE,
                THUMBNAIL_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        return QPixmap.fromImage(qimage)

    def sample(self, row: int) -> PredictionSample:
        return self._samples[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._samples)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._samples):
            return None
        sample = self._samples[index.row()]
        true_label = class_label(self.class_names, sample.true_index)
        pred_label = class_label(self.class_names, sample.pred_index)
        if role == SampleRole:
            return sample
        if role == TileRole:
            return sample, self._thumbnails[index.row()], true_label, pred_label
        if role == CorrectRole:
            return tile_is_correct(sample)
        if role in (ThumbnailRole, Qt.ItemDataRole.DecorationRole):
            return self._thumbnails[index.row()]
        if role == TrueLabelRole:
            return true_label
        if role == PredictedLabelRole:
            return pred_label
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{true_label} → {pred_label}"
        if role == Qt.ItemDataRole.AccessibleTextRole:  # what a screen reader says for a tile
            verdict = "right" if tile_is_correct(sample) else "wrong"
            return (
                f"{os.path.basename(sample.path)}: true {true_label}, predicted {pred_label} "
                f"{sample.confidence * 100:.0f} %, {verdict}"
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            top = "<br>".join(
                f"{class_label(self.class_names, c)}: {p * 100:.1f} %" for c, p in sample.top_k
            )
            return (
                f"<b>{sample.path}</b><br>true: {true_label}<br>"
                f"predicted: {pred_label} ({sample.confidence * 100:.1f} %)<br><br>{top}"
            )
        return None


class PredictionFilterProxy(QSortFilterProxyModel):
    """Keeps the tiles of one confusion cell (true and/or predicted class) or only mistakes."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.true_index: int | None = None
        self.pred_index: int | None = None
        self.only_mistakes = False

    def set_filter(
        self, true_index: int | None, pred_index: int | None, only_mistakes: bool
    ) -> None:
        # Qt >= 6.10 wants begin/endFilterChange; invalidateFilter() is deprecated there.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
        self.true_index, self.pred_index, self.only_mistakes = true_index, pred_index, only_mistakes
        if hasattr(self, "endFilterChange"):
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def accepts(self, true_index: int, pred_index: int) -> bool:
        return (
            (self.true_index is None or true_index == self.true_index)
            and (self.pred_index is None or pred_index == self.pred_index)
            and not (self.only_mistakes and true_index == pred_index)
        )

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        sample = self.sourceModel().index(source_row, 0, source_parent).data(SampleRole)
        return sample is not None and self.accepts(sample.true_index, sample.pred_index)
