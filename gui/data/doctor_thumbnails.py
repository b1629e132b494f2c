"""The Check dataset list's pictures, drawn off the GUI thread.

A row shows up to `count` images of its finding side by side ("a strip"). Decoding them on
the GUI thread while the list was filled froze the window for 160-380 ms at the end of a
check, and again after each action (benchmarks/README.md, session 8). Now a row shows a blank
strip at once; one thread, below the GUI thread's priority, decodes and draws the strips
of the rows listed, first rows first (decode_thumbnail, QImage and QPainter are safe there),
and the rows get the strips drawn so far every APPLY_MS: one update of the list for many
strips, not one each. A row that stays listed after an action keeps its strip; a strip is
kept as long as a row shows it.

Use: `show(row, paths, faded)` when a row starts showing the images of `paths`, `hide(row,
paths, faded)` when it stops (it leaves the list, or shows other images), then
`start_drawing()` once the list is up to date."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QListWidgetItem

from core.process_priority import lower_this_thread
from gui.widgets.thumbnail_cache import DECODER_NICENESS, decode_thumbnail

StripKey = tuple[tuple[str, ...], bool]  # (paths relative to the folder, faded)
GAP = 2  # px between two images of a strip
APPLY_MS = 200  # rows get the strips drawn meanwhile at most this often


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
        self._icons: dict[StripKey, QIcon] = {}  # drawn, of the strips rows show
        self._shown: dict[StripKey, int] = {}  # how many rows show each strip
        self._waiting: dict[StripKey, list[QListWidgetItem]] = {}
        self._lock = threading.Lock()  # guards the queue, shared with the drawing thread
        self._queued: OrderedDict[StripKey, None] = OrderedDict()
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
        blank one until it is drawn."""
        key = (tuple(paths), faded)
        self._shown[key] = self._shown.get(key, 0) + 1
        icon = self._icons.get(key)
        if icon is None:
            self._waiting.setdefault(key, []).append(row)
            icon = self.blank
        row.setIcon(icon)

    def hide(self, row: QListWidgetItem, paths: tuple[str, ...], faded: bool = False) -> None:
        """`row` no longer shows the strip of `paths`; a strip no row shows is forgotten."""
        key = (tuple(paths), faded)
        rows = self._waiting.get(key, [])
        for k, waiting in enumerate(rows):
            if waiting is row:
                del rows[k]
                break
        if not rows:
            self._waiting.pop(key, None)
        left = self._shown.pop(key, 0) - 1
        if left > 0:
            self._shown[key] = left
        else:
            self._icons.pop(key, None)

    def start_drawing(self) -> None:
        """Draw the strips rows wait for, in the order they were asked for, instead of any
        still queued that no row waits for any more. Nothing once stopped."""
        with self._lock:
            if self._stopped:
                return
            self._queued = OrderedDict.fromkeys(self._waiting)
            if self._queued and self._thread is None:
                self._thread = threading.Thread(
                    target=self._draw_queued, name="loupe-doctor-strips", daemon=True
                )
                self._thread.start()

    def waiting(self) -> int:
        """Strips of the rows listed not drawn yet."""
        return len(self._waiting)

    def stop(self, wait_s: float = 0.0) -> None:
        """Drop what is queued and draw nothing more; wait up to `wait_s` for the strip
        being drawn."""
        with self._lock:
            self._stopped = True
            self._queued.clear()
            thread = self._thread
        if thread is not None and wait_s > 0:
            thread.join(wait_s)

    def _on_drawn(self, key: StripKey, image: QImage) -> None:
        self.drawn_count += 1
        self._drawn[key] = image
        if not self._apply_timer.isActive():
            self._apply_timer.start()

    def _apply(self) -> None:
        drawn, self._drawn = self._drawn, {}
        for key, image in drawn.items():
            rows = self._waiting.pop(key, None)
            if rows is None:
                continue  # no row shows it any more
            icon = self.blank if image.isNull() else QIcon(QPixmap.fromImage(image))
            self._icons[key] = icon
            for row in rows:
                row.setIcon(icon)

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
