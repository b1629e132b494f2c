"""How one classification result is drawn in the Classify grid: `ResultTileDelegate`.

A tile: the thumbnail (a placeholder until it is decoded off-thread), the file name, the
predicted class with a colour dot, and the confidence as text and as a bar. Images below the
unsure threshold get an amber dashed border and an "unsure" badge. Everything but the
thumbnail and the badge is rendered once per tile and kept (gui.widgets.tile_cache)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from gui.classify.results_model import TileRole
from gui.widgets.thumbnail_cache import DEFAULT_SIZE
from gui.widgets.tile_cache import TileCache

PADDING = 6  # px inside the tile border
TEXT_LINES = 2  # file name, then class + confidence
BAR_HEIGHT = 4  # px, the confidence bar under the text

CARD_BACKGROUND = QColor(255, 255, 255)
CARD_BORDER = QColor(208, 208, 208)
# The selected tile, which the arrow keys move: style.qss's accent, not the view's pale
# selection colour (#DCE7FA), which a keyboard user could not find among 50 tiles.
SELECTED_BORDER = QColor(47, 111, 222)
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
FRAME_BUDGET_S = 0.004  # CPU a frame spends rendering new result tiles (after its blits)


class ResultTileDelegate(QStyledItemDelegate):
    def __init__(self, thumbnail_size: int = DEFAULT_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail_size = thumbnail_size
        self.class_order: dict[str, int] = {}
        # New tiles rendered per frame: a repaint of a full 4K grid already blits ~250 tiles
        # (~9 ms), and a batch of results sorted into the visible rows brings dozens of new ones.
        self.tiles = TileCache(frame_budget_s=FRAME_BUDGET_S)
        self._badges: dict[tuple[str, float], QPixmap] = {}  # the "unsure" badge, per font

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
        tile = index.data(TileRole)  # asking queues a visible tile's missing thumbnail
        if tile is not None:
            self.paint_tile(painter, option, lambda: index, tile)

    def paint_tile(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index_of: Callable[[], Index],
        tile: Any,
    ) -> None:
        """Draw `tile` (the model's TileRole: result, unsure, thumbnail) at option.rect;
        `index_of()` gives its model index when the tile is rendered anew."""
        key, body = _keys(option, tile)
        rect = option.rect
        if self.tiles.blit(painter, rect, key):
            return
        if self.tiles.spent():  # no renderers to build: ~180 tiles a repaint at 4K wait
            if self.tiles.wait(painter, rect, body):
                return
        else:
            render, update = self._renderers(option, index_of, tile)
            if self.tiles.paint(painter, rect, key, render, family=body, update=update):
                return
        # Rendered in one of the next frames (a few ms apart); meanwhile a blank card: one
        # call, where drawing its thumbnail too cost as much as 300 cached tiles at 4K.
        painter.fillRect(QRect(rect).adjusted(1, 1, -1, -1), _background(tile[1]))

    def render_ahead(
        self, option: QStyleOptionViewItem, index_of: Callable[[], Index], tile: Any, ratio: float
    ) -> bool:
        """Have the tile cached for the next repaint without drawing it (TileCache.
        render_ahead); False when this frame's rendering budget is spent."""
        key, body = _keys(option, tile)
        render, update = self._renderers(option, index_of, tile)
        return self.tiles.render_ahead(
            option.rect, key, ratio, option.font, render, family=body, update=update
        )

    def _renderers(
        self, option: QStyleOptionViewItem, index_of: Callable[[], Index], tile: Any
    ) -> tuple[Callable[[QPainter], None], Callable[[QPainter], None]]:
        """How to draw the whole tile, and how to draw a thumbnail that arrived over the
        tile's previous version (the placeholder's): far cheaper."""
        result, unsure, image = tile
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect, font = QRect(option.rect), option.font  # both are called before the caller moves on

        def render(painter: QPainter) -> None:
            self._paint_tile(painter, option, index_of(), result, unsure, selected, image)

        def update(painter: QPainter) -> None:
            self._paint_picture(painter, rect, image, unsure, font)

        return render, update

    def _paint_picture(
        self, painter: QPainter, rect: QRect, image: Any, unsure: bool, font: QFont
    ) -> None:
        """The thumbnail (or its placeholder) and the "unsure" badge, over whatever was there."""
        inner = QRect(rect).adjusted(1, 1, -1, -1)
        size = self.thumbnail_size
        thumb_rect = QRect(inner.left() + PADDING - 1, inner.top() + PADDING - 1, size, size)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setFont(font)  # "no preview" reads the same whichever way the tile was made
        painter.fillRect(thumb_rect, _background(unsure))
        self._paint_thumbnail(painter, thumb_rect, image)
        if unsure:
            self._paint_badge(painter, thumb_rect, font)

    def forget_tiles(self) -> None:
        """What tiles show changed beyond their keys (new results, class colours)."""
        self.tiles.clear()

    def _paint_tile(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: Index,
        result: Any,
        unsure: bool,
        selected: bool,
        image: Any,
    ) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRect(option.rect).adjusted(1, 1, -1, -1)
        self._paint_card(painter, rect, option, unsure, selected)

        size = self.thumbnail_size
        fm = QFontMetrics(option.font)
        line = fm.height()
        text_left = rect.left() + PADDING - 1
        text_width = size
        y = rect.top() + PADDING - 1 + size + PADDING // 2
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
        label = str(result.label or "")
        confidence = float(result.confidence or 0.0)
        self._paint_label_line(
            painter, QRect(text_left, y, text_width, line), option, label, confidence
        )

        y += line + 2
        self._paint_bar(painter, QRect(text_left, y, text_width, BAR_HEIGHT), confidence, unsure)
        self._paint_picture(painter, option.rect, image, unsure, option.font)
        painter.restore()

    # -- parts ---------------------------------------------------------------------------
    @staticmethod
    def _paint_card(
        painter: QPainter, rect: QRect, option: QStyleOptionViewItem, unsure: bool, selected: bool
    ) -> None:
        background = _background(unsure)
        if selected:
            border = QPen(SELECTED_BORDER, 3)
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

    def _paint_badge(self, painter: QPainter, thumb_rect: QRect, font: QFont) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        key = (font.key(), ratio)
        badge = self._badges.get(key)
        if badge is None:
            badge = self._badges[key] = _render_badge(font, ratio)
        painter.drawPixmap(QPoint(thumb_rect.left() + 3, thumb_rect.top() + 3), badge)

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


def _keys(option: QStyleOptionViewItem, tile: Any) -> tuple[Any, Any]:
    """The tile cache's key for what `tile` shows, and its family (the same tile without
    its thumbnail): one cached pixmap per tile."""
    result, unsure, image = tile
    selected = bool(option.state & QStyle.StateFlag.State_Selected)
    highlight = option.palette.color(QPalette.ColorRole.Highlight).rgba() if selected else 0
    body = (result.path, result.label, result.confidence, unsure, highlight)
    return (body, None if image is None else image.cacheKey()), body


def _background(unsure: bool) -> QColor:
    return UNSURE_BACKGROUND if unsure else CARD_BACKGROUND


def _render_badge(font: QFont, ratio: float) -> QPixmap:
    """The amber "unsure" badge drawn over a thumbnail's top-left corner."""
    badge_font = QFont(font)
    badge_font.setBold(True)
    badge_font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    fm = QFontMetrics(badge_font)
    text = "unsure"
    rect = QRect(0, 0, fm.horizontalAdvance(text) + 10, fm.height() + 2)
    pixmap = QPixmap(round(rect.width() * ratio), round(rect.height() * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(UNSURE_COLOR)
    painter.drawRoundedRect(QRectF(rect), 3, 3)
    painter.setPen(QColor(255, 255, 255))
    painter.setFont(badge_font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap
