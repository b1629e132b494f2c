"""Rendered grid tiles kept as pixmaps, so repainting a grid of image tiles is a blit per tile.

A result or prediction tile is a dozen drawing calls (an antialiased rounded card, text
elided to fit, a confidence bar) and several Python calls into the model: about 0.8 ms. A
window maximised on a 4K screen shows ~300 tiles, and while images stream in the grid is
repainted several times a second: that alone stalled the event loop for hundreds of ms per
frame (benchmarks/gui_responsiveness.py). A tile is rendered again only when its key (what
it shows) changes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QPainter, QPixmap

MAX_BYTES = 48 * 1024 * 1024  # ~400 tiles of 150x190 px: a maximised 4K grid and some


class TileCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[Hashable, QPixmap] = OrderedDict()  # least recent first
        self._bytes = 0
        self.rendered = 0  # tiles drawn from scratch (tests: a repaint renders nothing new)

    def paint(
        self,
        painter: QPainter,
        rect: QRect,
        key: Hashable,
        render: Callable[[QPainter], None],
    ) -> None:
        """Draw the tile for `key` at `rect`; on a miss `render(painter)` draws it first,
        in the same coordinates as `painter` (so `option.rect` stays valid)."""
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        full_key = (key, rect.width(), rect.height(), ratio)
        pixmap = self._tiles.get(full_key)
        if pixmap is None:
            pixmap = QPixmap(round(rect.width() * ratio), round(rect.height() * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            tile = QPainter(pixmap)
            tile.setFont(painter.font())
            tile.translate(-rect.topLeft())
            render(tile)
            tile.end()
            self._store(full_key, pixmap)
            self.rendered += 1
        else:
            self._tiles.move_to_end(full_key)
        painter.drawPixmap(QPoint(rect.left(), rect.top()), pixmap)

    def clear(self) -> None:
        self._tiles.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._tiles)

    def _store(self, key: Hashable, pixmap: QPixmap) -> None:
        self._tiles[key] = pixmap
        self._bytes += _size(pixmap)
        while self._bytes > self.max_bytes and len(self._tiles) > 1:
            _, old = self._tiles.popitem(last=False)
            self._bytes -= _size(old)


def _size(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)
