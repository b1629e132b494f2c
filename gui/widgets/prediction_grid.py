"""A scrollable grid of validation thumbnails with their true and predicted labels.

Each image becomes a QPixmap once (gui.widgets.prediction_model) and each tile is rendered
once per prediction (gui.widgets.tile_cache); painting then only blits, so the grid stays
smooth while new epochs replace the content."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from core.events import PredictionSample, PredictionsSampled
from gui.widgets.accessible import ItemViewKeys
from gui.widgets.frame_pacer import shared_pacer
from gui.widgets.grid_fit import fitted_cell
from gui.widgets.prediction_model import (
    CONFIDENCE_GAP,
    MAX_TEXT_WIDTH,
    MIN_TILE_WIDTH,
    TEXT_MARGIN,
    THUMBNAIL_SIZE,
    TILE_PADDING,
    TRUE_PREFIX,
    WRONG_BACKGROUND,
    CorrectRole,
    Index,
    PredictedLabelRole,
    PredictionFilterProxy,
    PredictionGridModel,
    SampleRole,
    ThumbnailRole,
    TileRole,
    TrueLabelRole,
    class_label,
    tile_color,
)
from gui.widgets.tile_cache import TileCache

FRAME_BUDGET_S = 0.006  # CPU spent rendering new tiles per frame
SELECTED_RING = QColor(47, 111, 222)  # style.qss's accent, around the selected tile


def tile_text_width(font: QFont, class_names: Sequence[str]) -> int:
    """Text width a tile needs so that "true: <name>" and "<predicted name>   100%" fit for
    every class, capped: a longer name is elided and shown in full in the tooltip."""
    regular = QFontMetrics(font)
    bold = QFontMetrics(_bold(font))
    widest = 0
    for name in class_names:
        widest = max(
            widest,
            regular.horizontalAdvance(f"{TRUE_PREFIX}{name}"),
            bold.horizontalAdvance(name) + CONFIDENCE_GAP + bold.horizontalAdvance("100%"),
        )
    return min(widest, MAX_TEXT_WIDTH)


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    return bold


# Said once, in the empty grid itself: the line above it stays blank until then.
NOTHING_SAMPLED = "Predictions appear here after the first epoch"


class PredictionTileDelegate(QStyledItemDelegate):
    """Thumbnail above two lines: "true: <class>" and the predicted class in bold with its
    confidence right-aligned; framed green when right, red when wrong.

    Tiles are at least `min_width` wide (set by the grid from the class names); the grid
    shares spare row width between the columns, so the text gets all the room there is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.min_width = MIN_TILE_WIDTH
        self.width = MIN_TILE_WIDTH  # what the grid's cells allow, at least min_width
        # Rendered tiles: an epoch redraws only those whose prediction changed, at most
        # FRAME_BUDGET_S of them per frame: maximised on a 4K screen the grid shows ~60 tiles
        # (~25 ms to render), and an epoch may change them all. Until its turn a tile shows
        # last epoch's version (its family is the image).
        self.tiles = TileCache(frame_budget_s=FRAME_BUDGET_S)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return self.tile_size(option.font, max(self.width, self.min_width))

    def tile_size(self, font: QFont, width: int | None = None) -> QSize:
        line = QFontMetrics(font).height()
        height = THUMBNAIL_SIZE + 2 * TILE_PADDING + 2 * line + 8
        return QSize(self.min_width if width is None else width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        tile = index.data(TileRole)
        if tile is None:
            return
        sample, thumbnail, true_label, pred_label = tile
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        highlight = option.palette.color(QPalette.ColorRole.Highlight).rgba() if selected else 0
        key = (
            sample.path,
            sample.true_index,
            sample.pred_index,
            f"{sample.confidence * 100:.0f}",
            true_label,
            pred_label,
            thumbnail.cacheKey() if thumbnail is not None else 0,
            highlight,
        )
        self.tiles.paint(
            painter,
            option.rect,
            key,
            lambda p: self._paint_tile(p, option, index),
            family=sample.path,
        )

    def _paint_tile(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        correct = bool(index.data(CorrectRole))
        color = tile_color(correct)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        # The selected tile (where the arrow keys are) gives its outer pixels to a ring in
        # the accent colour, around its green or red frame.
        rect = option.rect.adjusted(*((3, 3, -3, -3) if selected else (2, 2, -2, -2)))
        background = (
            option.palette.color(QPalette.ColorRole.Highlight).lighter(170)
            if selected
            else QColor(255, 255, 255)
            if correct
            else WRONG_BACKGROUND
        )
        painter.setPen(QPen(color, 2))
        painter.setBrush(background)
        painter.drawRoundedRect(rect, 5, 5)
        if selected:
            painter.setPen(QPen(SELECTED_RING, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(option.rect).adjusted(1, 1, -1, -1), 6, 6)

        pixmap: QPixmap | None = index.data(ThumbnailRole)
        box = QRect(rect.left(), rect.top() + TILE_PADDING, rect.width(), THUMBNAIL_SIZE)
        if pixmap is not None and not pixmap.isNull():
            x = box.left() + (box.width() - pixmap.width()) // 2
            y = box.top() + (box.height() - pixmap.height()) // 2
            painter.drawPixmap(x, y, pixmap)

        text = rect.adjusted(TEXT_MARGIN, 0, -TEXT_MARGIN, 0)
        line = option.fontMetrics.height()
        top = box.bottom() + 4
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        true_text = option.fontMetrics.elidedText(
            f"{TRUE_PREFIX}{index.data(TrueLabelRole)}", Qt.TextElideMode.ElideRight, text.width()
        )
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(QRect(text.left(), top, text.width(), line), left, true_text)

        # The prediction is bold: measure with the bold font or it overflows the frame.
        font = _bold(option.font)
        bold = QFontMetrics(font)
        sample: PredictionSample | None = index.data(SampleRole)
        confidence = f"{sample.confidence * 100:.0f}%" if sample is not None else ""
        name_width = text.width() - bold.horizontalAdvance(confidence) - CONFIDENCE_GAP
        pred_text = bold.elidedText(
            str(index.data(PredictedLabelRole)), Qt.TextElideMode.ElideRight, max(0, name_width)
        )
        line_rect = QRect(text.left(), top + line, text.width(), line)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(line_rect, left, pred_text)
        painter.drawText(
            line_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, confidence
        )
        painter.restore()


class PredictionGrid(QListView):
    """The grid. `sampleActivated` (double-click, Return or Space) and `sampleSelected`
    (current tile changed) carry the PredictionSample; `filterChanged` carries a readable
    description."""

    sampleActivated = Signal(object)
    sampleSelected = Signal(object)
    filterChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("predictionGrid")
        self.source_model = PredictionGridModel(self)
        self.proxy = PredictionFilterProxy(self)
        self.proxy.setSourceModel(self.source_model)
        self.setModel(self.proxy)
        self.delegate = PredictionTileDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setUniformItemSizes(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWrapping(True)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setMinimumWidth(MIN_TILE_WIDTH + 40)
        self._unrendered = QRegion()  # tiles a frame left to the next ones
        self.activated.connect(self._on_view_activated)
        self.keys = ItemViewKeys(self)  # Space opens the current tile, as Return does
        self.selectionModel().currentChanged.connect(self._on_selection_current_changed)

    def set_predictions(self, ev: PredictionsSampled) -> None:
        """Replace the tiles; filters, scroll position and the selected image are kept."""
        scroll = self.verticalScrollBar().value()
        current = self.currentIndex().data(SampleRole)
        if list(ev.class_names) != self.source_model.class_names:
            text = tile_text_width(self.font(), ev.class_names)
            self.delegate.min_width = max(MIN_TILE_WIDTH, text + 2 * TEXT_MARGIN + 4)
            self._fit_grid()
        self.source_model.set_predictions(ev)
        if current is not None and not self.currentIndex().isValid():
            self._select_path(current.path)
        self.doItemsLayout()  # lay out now so the old scroll value is still in range
        self.verticalScrollBar().setValue(scroll)
        self.filterChanged.emit(self.filter_description())

    def _select_path(self, path: str) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(SampleRole).path == path:
                self.setCurrentIndex(index)
                return

    def set_filter(self, true_index: int | None, pred_index: int | None) -> None:
        """Show only one confusion cell (either index may be None for "any")."""
        self.proxy.set_filter(true_index, pred_index, self.proxy.only_mistakes)
        self.filterChanged.emit(self.filter_description())

    def set_only_mistakes(self, only_mistakes: bool) -> None:
        self.proxy.set_filter(self.proxy.true_index, self.proxy.pred_index, only_mistakes)
        self.filterChanged.emit(self.filter_description())

    def clear_filter(self) -> None:
        self.proxy.set_filter(None, None, False)
        self.filterChanged.emit(self.filter_description())

    def filter_description(self) -> str:
        names = self.source_model.class_names
        shown, total = self.proxy.rowCount(), self.source_model.rowCount()
        parts = []
        if self.proxy.true_index is not None:
            parts.append(f"true {class_label(names, self.proxy.true_index)}")
        if self.proxy.pred_index is not None:
            parts.append(f"predicted as {class_label(names, self.proxy.pred_index)}")
        if self.proxy.only_mistakes:
            parts.append("mistakes only")
        if not parts:  # before the first epoch: nothing sampled yet ("All 0" read as a fault);
            # the empty grid says when its images come (NOTHING_SAMPLED): not twice
            return f"All {total} sampled images" if total else ""
        text = f"{', '.join(parts).capitalize()}: {shown} of {total} sampled images"
        pairs = zip(self.source_model.all_true, self.source_model.all_pred, strict=False)
        in_val = sum(self.proxy.accepts(t, p) for t, p in pairs)
        if self.source_model.all_true:
            text += f" ({in_val} in the whole validation set)"
        return text

    def placeholder_text(self) -> str:
        """What the grid says while it shows no tile."""
        if self.source_model.rowCount():
            return "No sampled image matches this filter"
        return NOTHING_SAMPLED

    def tile_size(self) -> QSize:
        """The smallest tile; the grid cells are wider when the row has room to spare."""
        return self.delegate.tile_size(self.font())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_grid()
        super().resizeEvent(event)

    def _fit_grid(self) -> None:
        """Share the spare width between the columns: no empty strip on the right, and
        longer class names get the room."""
        cell = fitted_cell(self, self.tile_size())
        if cell != self.gridSize():
            self.delegate.width = cell.width() - 2 * self.spacing()
            self.setGridSize(cell)

    def _on_pacer_turn(self) -> None:
        region, self._unrendered = self._unrendered, QRegion()
        self.viewport().update(region)

    def _on_view_activated(self, index: QModelIndex) -> None:
        sample = index.data(SampleRole)
        if sample is not None:
            self.sampleActivated.emit(sample)

    def _on_selection_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        sample = current.data(SampleRole)
        if sample is not None:
            self.sampleSelected.emit(sample)

    def paintEvent(self, event: Any) -> None:
        tiles = self.delegate.tiles
        tiles.start_frame()
        super().paintEvent(event)
        if not tiles.deferred.isNull():  # tiles left for the next frames
            self._unrendered += tiles.deferred
            shared_pacer().request(self, self._on_pacer_turn)
        if self.model().rowCount() == 0:
            # An empty white box reads as "broken"; say why it is empty.
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            text = self.placeholder_text()
            painter.drawText(
                self.viewport().rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                text,
            )
            painter.end()


def _demo() -> PredictionGrid:
    from gui.demo.demo_data import demo_class_names, demo_predictions

    names = demo_class_names(11)
    grid = PredictionGrid()
    grid.set_predictions(demo_predictions(names, epoch=2, count=60))
    grid.filterChanged.connect(grid.setWindowTitle)
    grid.sampleActivated.connect(lambda s: print("activated", s.path))
    grid.resize(760, 560)
    return grid


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    widget = _demo()
    widget.show()
    sys.exit(app.exec())
