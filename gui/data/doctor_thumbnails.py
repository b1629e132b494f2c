"""The Check dataset list's pictures, drawn off the GUI thread, for the rows near the view.

A row shows up to `count` images of its finding side by side ("a strip"). Decoding them on
the GUI thread while the list was filled froze the window for 160-380 ms at the end of a
check, and again after each action (benchmarks/README.md, session 8). Now a row shows a blank
strip at once; one thread, below the GUI thread's priority, decodes and draws the strips
the list wants (decode_thumbnail, QImage and QPainter are safe there), and the rows get the
strips drawn so far every APPLY_MS: one update of the list for many strips, not one each.

Only the rows in or near the view want their strip: drawing and keeping one for every row
held ~85 KB a row, ~420 MB at 5,000 findings (session 9). Drawn strips are kept, most
recently wanted last, up to CACHE_MB: scrolling back or an action that lists a row again
finds its strip at once, and the rows of a strip dropped from the cache show the blank one
again (their QPixmap is then freed) until they come near the view again.

Use: `show(row, paths, faded)` when a row starts showing the images of `paths`, `hide(row,
paths, faded)` when it stops (it leaves the list, or shows other images), then
`want(keys)` with the keys of the rows near the view (`strip_key(paths, faded)`), nearest first,
whenever they may have changed."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QListWidgetItem

from core.process_priority import lower_this_thread
from gui.widgets.thumbnail_cache import DECODER_NICENESS, decode_thumbnail

StripKey = tuple[tuple[str, ...], bool]  # (paths relative to the folder, faded)
GAP = 2  # px between two images of a strip
APPLY_MS = 200  # rows get the strips drawn meanwhile at most this often
CACHE_MB = 48  # drawn strips kept: 594 of 294x72 px, some 20 screens of rows


def strip_key(paths: Iterable[str], faded: bool = False) -> StripKey:
    return (tuple(paths), faded)


class _Relay(QObject):
    """Carries strips from the drawing thread to the GUI thread (queued connection)."""

    drawn = Signal(object, QImage)  # key, strip


class RowStrips(QObject):
    """Strips of up to `count` thumbnails of `side` px for the rows of a QListWidget."""

    def __init__(self, folder: str, side: int, count: int, parent: QObject | None = None):
        super().__init__(parent)
        self.folder, self.side, self.count = folder, side, count
        self.width = count * side + (count - 1) * GAP
        blank = QPixmap(self.width, side)
        blank.fill(Qt.GlobalColor.transparent)
        self.blank = QIcon(blank)  # a row's strip until it is drawn
        self.capacity = max(1, CACHE_MB * 2**20 // (self.width * side * 4))  # strips kept
        self._icons: OrderedDict[StripKey, QIcon] = OrderedDict()  # drawn, least wanted first
        self._rows: dict[StripKey, list[QListWidgetItem]] = {}  # the rows showing each strip
        self._wanted: list[StripKey] = []  # of the rows near the view, nearest first
        self._lock = threading.Lock()  # guards the queue, shared with the drawing thread
        self._queued: OrderedDict[StripKey, None] = OrderedDict()
        self._in_flight: set[StripKey] = set()  # taken by the thread, not arrived yet
        self._stopped = False  # the dialog closed: nothing more to draw
        # A plain thread, not a QThreadPool owned by the dialog: deleting the dialog from
        # Python would wait for the pool with the GIL held, which the drawing thread needs.
        self._thread: threading.Thread | None = None
        self._relay = _Relay()
        self._relay.drawn.connect(self._on_drawn, Qt.ConnectionType.QueuedConnection)
        self._drawn: dict[StripKey, QImage] = {}  # arrived, not yet given to their rows
        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(APPLY_MS)
        self._apply_timer.timeout.connect(self._apply)
        self.drawn_count = 0  # strips drawn (tests)

    # -- the GUI thread ------------------------------------------------------------------
    def show(self, row: QListWidgetItem, paths: tuple[str, ...], faded: bool = False) -> None:
        """Give `row` the strip of `paths` (half opacity when `faded`): now if drawn, else a
        blank one until it is drawn (once the row is wanted)."""
        k = strip_key(paths, faded)
        self._rows.setdefault(k, []).append(row)
        row.setIcon(self._icons.get(k, self.blank))

    def hide(self, row: QListWidgetItem, paths: tuple[str, ...], faded: bool = False) -> None:
        """`row` no longer shows the strip of `paths` (the strip stays cached)."""
        k = strip_key(paths, faded)
        rows = self._rows.get(k, [])
        for n, showing in enumerate(rows):
            if showing is row:
                del rows[n]
                break
        if not rows:
            self._rows.pop(k, None)

    def want(self, keys: Iterable[StripKey]) -> None:
        """The strips of the rows near the view, nearest first (at most half the cache's
        capacity): those drawn are kept longest, the others are drawn in this order instead
        of any still queued. Nothing is drawn once stopped."""
        wanted = list(dict.fromkeys(k for k in keys if k in self._rows))
        self._wanted = wanted[: max(1, self.capacity // 2)]
        for k in reversed(self._wanted):
            if k in self._icons:
                self._icons.move_to_end(k)
        with self._lock:
            if self._stopped:
                return
            self._queued = OrderedDict.fromkeys(
                k
                for k in self._wanted
                if k not in self._icons and k not in self._drawn and k not in self._in_flight
            )
            if self._queued and self._thread is None:
                self._thread = threading.Thread(
                    target=self._draw_queued, name="loupe-doctor-strips", daemon=True
                )
                self._thread.start()

    def waiting(self) -> int:
        """Strips of the rows near the view not drawn yet."""
        return sum(1 for k in self._wanted if k not in self._icons and k in self._rows)

    def held(self) -> int:
        """Drawn strips kept (tests)."""
        return len(self._icons)

    def stop(self, wait_s: float = 0.0) -> None:
        """Drop what is queued and draw nothing more; wait up to `wait_s` for the strip
        being drawn."""
        with self._lock:
            self._stopped = True
            self._queued.clear()
            thread = self._thread
        if thread is not None and wait_s > 0:
            thread.join(wait_s)

    def _on_drawn(self, k: StripKey, image: QImage) -> None:
        self.drawn_count += 1
        with self._lock:
            self._in_flight.discard(k)
        self._drawn[k] = image
        if not self._apply_timer.isActive():
            self._apply_timer.start()

    def _apply(self) -> None:
        drawn, self._drawn = self._drawn, {}
        for k, image in drawn.items():
            rows = self._rows.get(k)
            if not rows:
                continue  # no row shows it any more
            icon = self.blank if image.isNull() else QIcon(QPixmap.fromImage(image))
            self._icons[k] = icon
            for row in rows:
                row.setIcon(icon)
        while len(self._icons) > self.capacity:  # the least recently wanted go
            k, _icon = self._icons.popitem(last=False)
            for row in self._rows.get(k, []):
                row.setIcon(self.blank)  # the row's reference to the pixmap goes too

    def flush(self) -> None:
        """Give the rows the strips that arrived, now (tests)."""
        self._apply_timer.stop()
        self._apply()

    # -- the drawing thread --------------------------------------------------------------
    def _draw_queued(self) -> None:
        lower_this_thread(DECODER_NICENESS)  # the GUI thread gets a core first (Linux)
        while True:
            with self._lock:
                # also once the dialog was deleted without closing (Python let go of it)
                if not self._queued or not shiboken6.isValid(self):
                    self._thread = None
                    return
                key, _ = self._queued.popitem(last=False)
                self._in_flight.add(key)
            try:
                image = self.draw(key)
            except Exception:  # never let a bad file end the thread: the row stays blank
                image = QImage()
            try:
                self._relay.drawn.emit(key, image)
            except RuntimeError:  # the application is ending and took the relay with it
                return

    def draw(self, key: StripKey) -> QImage:
        """The strip of `key`: its first `count` images, small ones enlarged, centred
        vertically, transparent around them."""
        paths, faded = key
        strip = QImage(self.width, self.side, QImage.Format.Format_ARGB32_Premultiplied)
        strip.fill(Qt.GlobalColor.transparent)
        painter = QPainter(strip)
        painter.setOpacity(0.5 if faded else 1.0)
        for k, path in enumerate(paths[: self.count]):
            image = decode_thumbnail(os.path.join(self.folder, path), self.side, True)
            if not image.isNull():
                top = (self.side - image.height()) // 2
                painter.drawImage(k * (self.side + GAP), top, image)
        painter.end()
        return strip
