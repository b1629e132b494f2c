"""The thumbnail grid of classification results: one QListView over the results model and a
delegate that paints each tile. No widget per image, so 50,000 results cost no more to show
than the few dozen tiles on screen.

A tile: the thumbnail (a placeholder until it is decoded off-thread), the file name, the
predicted class with a colour dot, and the confidence as text and as a bar. Images below the
unsure threshold get an amber dashed border and an "unsure" badge.

Also here: `UnreadableFiles`, the collapsible list of files that could not be read."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from core.infer.results import UnreadableImage
from gui.classify.results_model import ConfidenceRole, LabelRole, ResultRole, UnsureRole
from gui.widgets.grid_fit import fitted_cell
from gui.widgets.thumbnail_cache import DEFAULT_SIZE
from gui.widgets.tile_cache import TileCache

PADDING = 6  # px inside the tile border
TEXT_LINES = 2  # file name, then class + confidence
BAR_HEIGHT = 4  # px, the confidence bar under the text
_SELECTING = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier

CARD_BACKGROUND = QColor(255, 255, 255)
CARD_BORDER = QColor(208, 208, 208)
PLACEHOLDER = QColor(236, 236, 236)
PLACEHOLDER_TEXT = QColor(150, 150, 150)
NAME_TEXT = QColor(90, 90, 90)
UNSURE_COLOR = QColor(230, 140, 0)  # amber: "look at this one"
UNSURE_BACKGROUND = QColor(255, 248, 225)
CONFIDENT_BAR = QColor(56, 142, 60)
# Tableau-like colours, one per class in model order: the same class always has one colour.
CLASS_COLORS = [
    QColor(c)
    for c in (
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    )
]  # fmt: skip

Index = QModelIndex | QPersistentModelIndex


class ResultTileDelegate(QStyledItemDelegate):
    def __init__(self, thumbnail_size: int = DEFAULT_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail_size = thumbnail_size
        self.class_order: dict[str, int] = {}
        self.tiles = TileCache()

    def set_class_names(self, names: list[str]) -> None:
        self.class_order = {name: i for i, name in enumerate(names)}
        self.forget_tiles()  # the class dots' colours

    def class_color(self, label: str) -> QColor:
        index = self.class_order.get(label)
        if index is None:
            index = sum(map(ord, label))  # a label the model does not list: stable anyway
        return CLASS_COLORS[index % len(CLASS_COLORS)]

    def tile_size(self, font: QFont) -> QSize:
        line = QFontMetrics(font).height()
        width = self.thumbnail_size + 2 * PADDING
        height = self.thumbnail_size + 3 * PADDING + TEXT_LINES * line + BAR_HEIGHT + 2
        return QSize(width, height)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        # Never asks the model for the thumbnail: sizing must not trigger decodes.
        return self.tile_size(option.font)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        result = index.data(ResultRole)
        unsure = bool(index.data(UnsureRole))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        # Asked on every paint: a visible tile's missing thumbnail is queued (newest first).
        image = index.data(Qt.ItemDataRole.DecorationRole)
        state = None if image is None else image.cacheKey()
        key = (
            getattr(result, "path", None),
            getattr(result, "label", None),
            getattr(result, "confidence", None),
            unsure,
            selected,
            state,
            option.palette.color(QPalette.ColorRole.Highlight).rgba() if selected else 0,
        )
        self.tiles.paint(
            painter,
            option.rect,
            key,
            lambda tile: self._paint_tile(tile, option, index, image, unsure, selected),
        )

    def forget_tiles(self) -> None:
        """What tiles show changed beyond their keys (new results, class colours)."""
        self.tiles.clear()

    def _paint_tile(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: Index,
        image: Any,
        unsure: bool,
        selected: bool,
    ) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRect(option.rect).adjusted(1, 1, -1, -1)
        self._paint_card(painter, rect, option, unsure, selected)

        size = self.thumbnail_size
        thumb_rect = QRect(rect.left() + PADDING - 1, rect.top() + PADDING - 1, size, size)
        self._paint_thumbnail(painter, thumb_rect, image)
        if unsure:
            self._paint_badge(painter, thumb_rect, option.font)

        fm = QFontMetrics(option.font)
        line = fm.height()
        text_left = thumb_rect.left()
        text_width = size
        y = thumb_rect.bottom() + 1 + PADDING // 2
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.setPen(NAME_TEXT)
        painter.setFont(option.font)
        name_rect = QRect(text_left, y, text_width, line)
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(name, Qt.TextElideMode.ElideMiddle, text_width),
        )

        y += line
        label = str(index.data(LabelRole) or "")
        confidence = float(index.data(ConfidenceRole) or 0.0)
        self._paint_label_line(
            painter, QRect(text_left, y, text_width, line), option, label, confidence
        )

        y += line + 2
        self._paint_bar(painter, QRect(text_left, y, text_width, BAR_HEIGHT), confidence, unsure)
        painter.restore()

    # -- parts ---------------------------------------------------------------------------
    @staticmethod
    def _paint_card(
        painter: QPainter, rect: QRect, option: QStyleOptionViewItem, unsure: bool, selected: bool
    ) -> None:
        background = UNSURE_BACKGROUND if unsure else CARD_BACKGROUND
        if selected:
            border = QPen(option.palette.color(QPalette.ColorRole.Highlight), 3)
        elif unsure:
            border = QPen(UNSURE_COLOR, 2, Qt.PenStyle.DashLine)
        else:
            border = QPen(CARD_BORDER, 1)
        painter.setPen(border)
        painter.setBrush(background)
        painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)

    @staticmethod
    def _paint_thumbnail(painter: QPainter, rect: QRect, image: Any) -> None:
        if image is None or image.isNull():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(PLACEHOLDER)
            painter.drawRect(rect)
            if image is not None:  # decoded and failed: say so rather than spin forever
                painter.setPen(PLACEHOLDER_TEXT)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "no preview")
            return
        # Fit the tile either way: small images (icons, 32 px datasets) are enlarged too.
        target = QRect(
            QPoint(0, 0), image.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
        )
        target.moveCenter(rect.center())
        if target.size() != image.size():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, image)

    @staticmethod
    def _paint_badge(painter: QPainter, thumb_rect: QRect, font: QFont) -> None:
        badge_font = QFont(font)
        badge_font.setBold(True)
        badge_font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        fm = QFontMetrics(badge_font)
        text = "unsure"
        badge = QRect(
            thumb_rect.left() + 3,
            thumb_rect.top() + 3,
            fm.horizontalAdvance(text) + 10,
            fm.height() + 2,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(UNSURE_COLOR)
        painter.drawRoundedRect(QRectF(badge), 3, 3)
        painter.setPen(QColor(255, 255, 255))
        painter.setFont(badge_font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_label_line(
        self,
        painter: QPainter,
        rect: QRect,
        option: QStyleOptionViewItem,
        label: str,
        confidence: float,
    ) -> None:
        percent = f"{confidence * 100:.0f} %" if confidence == confidence else "?"
        plain = QFontMetrics(option.font)
        percent_width = plain.horizontalAdvance(percent)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.setFont(option.font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, percent)

        dot = max(6, plain.height() // 2)
        dot_rect = QRect(rect.left(), rect.center().y() - dot // 2, dot, dot)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.class_color(label))
        painter.drawEllipse(dot_rect)

        bold = QFont(option.font)
        bold.setBold(True)
        fm = QFontMetrics(bold)
        left = dot_rect.right() + 5
        width = rect.right() - left - percent_width - 4
        painter.setFont(bold)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            QRect(left, rect.top(), max(0, width), rect.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(label, Qt.TextElideMode.ElideRight, max(0, width)),
        )

    @staticmethod
    def _paint_bar(painter: QPainter, rect: QRect, confidence: float, unsure: bool) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PLACEHOLDER)
        painter.drawRoundedRect(QRectF(rect), 2, 2)
        if confidence == confidence and confidence > 0:
            filled = QRectF(rect)
            filled.setWidth(rect.width() * min(confidence, 1.0))
            painter.setBrush(UNSURE_COLOR if unsure else CONFIDENT_BAR)
            painter.drawRoundedRect(filled, 2, 2)


class ResultsView(QListView):
    """Icon-mode list of result tiles; `resultActivated(ClassifiedImage)` on click or Enter."""

    resultActivated = Signal(object)

    def __init__(self, thumbnail_size: int = DEFAULT_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.delegate = ResultTileDelegate(thumbnail_size, self)
        self.setItemDelegate(self.delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        # IconMode defaults to Free movement, which keeps a position per item (slow at 50,000);
        # Static uses the row/column flow layout, computed in O(1) per row for uniform sizes.
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setSpacing(5)
        # Ctrl/Shift+click selects several images for "Add to dataset as" (the context menu).
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(32)
        # Tiles wrap to the width: a horizontal bar (seen at 6,000 results while the batched
        # layout caught up) has nothing to scroll to.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(False)
        self.setMouseTracking(False)
        self.empty_text = "No results yet."
        self.clicked.connect(self._on_index_clicked)
        self.activated.connect(self._on_index_activated)

    def setModel(self, model: Any) -> None:
        old = self.model()
        if old is not None:
            old.modelReset.disconnect(self.delegate.forget_tiles)
        super().setModel(model)
        if model is not None:
            # A new folder's results: names are relative to another root.
            model.modelReset.connect(self.delegate.forget_tiles)

    def set_class_names(self, names: list[str]) -> None:
        self.delegate.set_class_names(names)
        self.viewport().update()

    def set_empty_text(self, text: str) -> None:
        self.empty_text = text
        self.viewport().update()

    def tile_size(self) -> QSize:
        return self.delegate.tile_size(self.font())

    def visible_rows(self) -> range:
        """Rows whose tiles intersect the viewport (for tests and prefetching)."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return range(0)
        area = self.viewport().rect()
        first = self.indexAt(area.topLeft() + QPoint(self.spacing() + 2, self.spacing() + 2))
        start = first.row() if first.isValid() else 0
        stop = start
        # Tiles are laid out row by row: walk until one starts below the viewport.
        while stop < model.rowCount():
            rect = self.visualRect(model.index(stop, 0))
            if rect.top() > area.bottom():
                break
            stop += 1
        return range(start, stop)

    def _on_index_clicked(self, index: QModelIndex) -> None:
        # A Ctrl/Shift+click extends the selection; only a plain click opens the image.
        if not QApplication.keyboardModifiers() & _SELECTING:
            self._on_index_activated(index)

    def _on_index_activated(self, index: QModelIndex) -> None:
        result = index.data(ResultRole)
        if result is not None:
            self.resultActivated.emit(result)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_grid()
        super().resizeEvent(event)

    def _fit_grid(self) -> None:
        cell = fitted_cell(self, self.tile_size())
        if cell != self.gridSize():
            self.setGridSize(cell)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is None or model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(PLACEHOLDER_TEXT)
            painter.drawText(
                self.viewport().rect().adjusted(20, 20, -20, -20),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )


class UnreadableFiles(QObject):
    """Files that could not be classified: a toggle ("4 unreadable files") that shows a list
    with each file's reason. Never an error dialog: a bad file is not a failed run."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.items: list[UnreadableImage] = []
        self.toggle = QToolButton(parent)
        self.toggle.setObjectName("unreadableToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.list = QListWidget(parent)
        self.list.setObjectName("unreadableList")
        self.list.setUniformItemSizes(True)
        self.list.setMaximumHeight(140)
        self.list.setVisible(False)
        self.toggle.toggled.connect(self._on_toggled)
        self._update_toggle()

    def clear(self) -> None:
        self.items.clear()
        self.list.clear()
        self._update_toggle()

    def add(self, items: list[UnreadableImage]) -> None:
        self.items.extend(items)
        for item in items:
            entry = QListWidgetItem(f"{os.path.basename(item.path)} — {item.reason}")
            entry.setToolTip(item.path)
            self.list.addItem(entry)
        self._update_toggle()

    def _update_toggle(self) -> None:
        n = len(self.items)
        self.toggle.setText(
            f"{n:,} unreadable file{'' if n == 1 else 's'}" if n else "No unreadable files"
        )
        self.toggle.setEnabled(bool(n))
        if not n:
            self.toggle.setChecked(False)

    def _on_toggled(self, shown: bool) -> None:
        self.list.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
