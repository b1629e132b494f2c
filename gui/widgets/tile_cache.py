"""Rendered grid tiles kept as pixmaps, so repainting a grid of image tiles is a blit per tile.

A result or prediction tile is a dozen drawing calls (an antialiased rounded card, text
elided to fit, a confidence bar) and several Python calls into the model: about 0.8 ms. A
window maximised on a 4K screen shows ~300 tiles, and while images stream in the grid is
repainted several times a second: that alone stalled the event loop for hundreds of ms per
frame (benchmarks/gui_responsiveness.py). A tile is rendered again only when its key (what
it shows) changes."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFont, QPainter, QPixmap, QRegion

MAX_BYTES = 48 * 1024 * 1024  # ~400 tiles of 150x190 px: a maximised 4K grid and some
FRAME_BUDGET_S = 0.008  # CPU spent rendering per frame; later tiles wait for the next frame


class TileCache:
    def __init__(self, max_bytes: int = MAX_BYTES, frame_budget_s: float = FRAME_BUDGET_S):
        self.max_bytes = max_bytes
        self.frame_budget_s = frame_budget_s
        self._tiles: OrderedDict[Hashable, QPixmap] = OrderedDict()  # least recent first
        self._families: dict[Hashable, Hashable] = {}  # family -> its latest tile's key
        self._bytes = 0
        self.rendered = 0  # tiles drawn from scratch (tests: a repaint renders nothing new)
        self.updated = 0  # tiles made from their family's previous tile
        self._frame_started: float | None = None
        self._frame_rendered = 0
        # Where this frame left tiles unrendered: paint there again (the tiles, not their
        # bounding rect: a rect spanning two far tiles repainted the whole grid).
        self.deferred = QRegion()

    def start_frame(self) -> None:
        """A view's paint begins: from now on it renders for at most `frame_budget_s`."""
        self._frame_started = time.thread_time()
        self._frame_rendered = 0
        self.deferred = QRegion()

    def blit(self, painter: QPainter, rect: QRect, key: Hashable) -> bool:
        """Draw the cached tile for `key` at `rect`; False (nothing drawn) when it is not
        cached. The cheap first try of a repaint: no render callbacks to build."""
        ratio = self._ratio(painter)
        full_key = (key, rect.width(), rect.height(), ratio)
        pixmap = self._tiles.get(full_key)
        if pixmap is None:
            return False
        self._tiles.move_to_end(full_key)
        painter.drawPixmap(rect.left(), rect.top(), pixmap)
        return True

    def _ratio(self, painter: QPainter) -> float:
        device = painter.device()
        return device.devicePixelRatioF() if device else 1.0

    def paint(
        self,
        painter: QPainter,
        rect: QRect,
        key: Hashable,
        render: Callable[[QPainter], None],
        family: Hashable = None,
        update: Callable[[QPainter], None] | None = None,
    ) -> bool:
        """Draw the tile for `key` at `rect`; on a miss `render(painter)` draws it first,
        in the same coordinates as `painter` (so `option.rect` stays valid). False (nothing
        drawn) when this frame's rendering budget is spent and no tile of the `family` is
        cached (else that one stands in): the caller draws a stand-in.

        Tiles of one `family` differ only in a part that `update(painter)` redraws over the
        family's previous tile (a thumbnail that arrived): far cheaper than `render`."""
        ratio = self._ratio(painter)
        pixmap = self._tile(rect, key, ratio, painter.font(), render, family, update)
        if pixmap is None:
            return self.wait(painter, rect, family)
        painter.drawPixmap(QPoint(rect.left(), rect.top()), pixmap)
        return True

    def spent(self) -> bool:
        """This frame's rendering budget is spent: a tile not cached waits (`wait`)."""
        return self._over_budget()

    def wait(self, painter: QPainter, rect: QRect, family: Hashable = None) -> bool:
        """The tile at `rect` is rendered in a later frame (it joins `deferred`). Meanwhile
        the family's previous tile (last epoch's prediction of this image, the tile before
        its thumbnail came) stands in rather than a gap; False when there is none: the
        caller draws a stand-in."""
        self.deferred += rect
        if family is None:
            return False
        ratio = self._ratio(painter)
        previous = self._tiles.get(self._families.get((family, rect.width(), rect.height(), ratio)))
        if previous is None:
            return False
        painter.drawPixmap(QPoint(rect.left(), rect.top()), previous)
        return True

    def render_ahead(
        self,
        rect: QRect,
        key: Hashable,
        ratio: float,
        font: QFont,
        render: Callable[[QPainter], None],
        family: Hashable = None,
        update: Callable[[QPainter], None] | None = None,
    ) -> bool:
        """Have the tile for `key` cached, drawing it nowhere: a view renders the tiles a
        repaint left for later, then repaints just those (repainting every waiting tile at
        each turn cost ~60 us a tile, ~11 ms a frame for a 4K grid of new results). False
        when this frame's budget is spent."""
        return self._tile(rect, key, ratio, font, render, family, update) is not None

    def _tile(
        self,
        rect: QRect,
        key: Hashable,
        ratio: float,
        font: QFont,
        render: Callable[[QPainter], None],
        family: Hashable,
        update: Callable[[QPainter], None] | None,
    ) -> QPixmap | None:
        """The cached tile for `key`, rendered or updated now if the frame's budget allows;
        None when it does not."""
        full_key = (key, rect.width(), rect.height(), ratio)
        pixmap = self._tiles.get(full_key)
        if pixmap is not None:
            self._tiles.move_to_end(full_key)
            return pixmap
        if self._over_budget():
            return None
        family_key = (family, rect.width(), rect.height(), ratio)
        # An update (a thumbnail drawn over the tile, ~0.3 ms) counts against the frame's
        # budget too: thumbnails arrive by the dozen while a folder is classified, and
        # drawing them all in one repaint took 10-15 ms maximised on a 4K screen.
        if family is not None and update is not None:
            pixmap = self._updated(family_key, rect, update)
            if pixmap is not None:
                self._store(full_key, pixmap)
                self._families[family_key] = full_key
                self._frame_rendered += 1
                return pixmap
        pixmap = QPixmap(round(rect.width() * ratio), round(rect.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        tile = QPainter(pixmap)
        tile.setFont(font)
        tile.translate(-rect.topLeft())
        render(tile)
        tile.end()
        self._store(full_key, pixmap)
        self.rendered += 1
        self._frame_rendered += 1
        if family is not None:
            self._families[family_key] = full_key
        return pixmap

    def _updated(
        self, family_key: Hashable, rect: QRect, update: Callable[[QPainter], None]
    ) -> QPixmap | None:
        """The family's previous tile with `update` drawn over it (that tile is dropped)."""
        previous_key = self._families.get(family_key)
        previous = self._tiles.pop(previous_key, None) if previous_key is not None else None
        if previous is None:
            return None
        self._bytes -= _size(previous)
        tile = QPainter(previous)  # the cache held the only reference: drawn in place
        tile.translate(-rect.topLeft())
        update(tile)
        tile.end()
        self.updated += 1
        return previous

    def _over_budget(self) -> bool:
        # At least one tile per frame, so a slow machine still gets there.
        started = self._frame_started
        if started is None or not self._frame_rendered:
            return False
        # CPU time, not wall time: on a loaded machine the wall clock also counts the time
        # other programs ran, and a frame would render one tile and repaint for nothing.
        return time.thread_time() - started > self.frame_budget_s

    def clear(self) -> None:
        self._tiles.clear()
        self._families.clear()
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
