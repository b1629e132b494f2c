"""Thumbnails decoded lazily, off the GUI thread, kept in a bounded LRU cache.

`get(path)` answers at once: the cached QImage, or None after queueing a decode (the caller
paints a placeholder and waits for `thumbnailReady(path)`). Only what a view asks for is
decoded, so a folder of 50,000 photos costs what the visible tiles cost.

Why it stays smooth when scrolling fast through 50,000 tiles:
- QImageReader.setScaledSize decodes JPEGs at reduced size (2-5x faster than a full decode);
- requests run newest first and only MAX_PENDING wait in the queue: tiles scrolled past are
  dropped before they cost anything;
- a file that cannot be decoded is remembered as failed instead of retried on every paint.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThread, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

from core.process_priority import lower_this_thread

DEFAULT_SIZE = 128  # px, longest side
DEFAULT_MAX_IMAGES = 2000  # ~2000 * 128*128*4 bytes = 128 MB at most
DEFAULT_MAX_BYTES = 160 * 1024 * 1024
MAX_PENDING = 256  # queued decodes; older ones are dropped (they scrolled out of view)


def decode_thumbnail(path: str, size: int, upscale: bool = False) -> QImage:
    """The one thumbnail decoder (Classify tiles, Data page samples): the image at `path`
    scaled to fit size x size, EXIF orientation applied; null when unreadable. `upscale`:
    small images grow to `size` too (a 28-pixel digit is unreadable at its own size). Files
    Qt cannot read (16-bit TIFFs, odd modes) go through Loupe's own PIL path. Safe in any
    thread (QImage, not QPixmap)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # phone photos are stored sideways with an EXIF tag
    reader.setAllocationLimit(1024)  # MB; a 12k x 12k photo needs 576 MB before scaling
    full = reader.size()
    # For 90/270-degree EXIF rotations the stored size is the transposed one; the scaled
    # size is applied before the transform, so fitting into a square is right either way.
    longest = max(full.width(), full.height()) if full.isValid() else 0
    if not full.isEmpty() and (longest > size or (upscale and 0 < longest < size)):
        reader.setScaledSize(full.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        image = _decode_with_pil(path, size)
        if image.isNull():
            return image
    if max(image.width(), image.height()) > size:  # formats that ignore setScaledSize
        image = image.scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    # One pixel format for every tile: painting never converts.
    if image.format() != QImage.Format.Format_ARGB32_Premultiplied:
        image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    return image


def _decode_with_pil(path: str, size: int) -> QImage:
    try:
        from core.data.imaging import thumbnail_array
        from gui.widgets.prediction_model import numpy_to_qimage

        return numpy_to_qimage(thumbnail_array(path, size))
    except Exception:  # unreadable by both decoders: the tile shows a placeholder
        return QImage()


class _Relay(QObject):
    """Carries results from pool threads to the cache's thread (queued connection)."""

    decoded = Signal(str, int, QImage)  # path, generation, image (null when unreadable)


DECODER_NICENESS = 5  # decoding threads run this much below the GUI thread (Linux niceness)
_lowered = threading.local()


def _lower_this_thread() -> None:
    """A decoding thread yields the CPU to the GUI thread: at the same priority the GUI
    thread waited 15-20 ms for a core inside its longest stalls, maximised on 4K, while
    thumbnails were decoded. Once per pool thread (pool threads are reused)."""
    if getattr(_lowered, "done", False):
        return
    _lowered.done = True
    if not lower_this_thread(DECODER_NICENESS):  # Linux; elsewhere Qt's thread priority
        QThread.currentThread().setPriority(QThread.Priority.LowPriority)


class _Decoder(QRunnable):
    """A pool thread's work: the cache's queue until it is empty."""

    def __init__(self, drain: Callable[[], None]) -> None:
        super().__init__()
        self.drain = drain

    def run(self) -> None:
        self.drain()


class ThumbnailCache(QObject):
    """Path -> thumbnail QImage, decoded on demand in a private thread pool."""

    thumbnailReady = Signal(str)  # path: get(path) now returns the image (or FAILED)
    FAILED = QImage()  # returned for files that could not be decoded (a null image)

    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        max_images: int = DEFAULT_MAX_IMAGES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        threads: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.size = size
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._images: OrderedDict[str, QImage] = OrderedDict()  # least recently used first
        self._bytes = 0
        self._failed: set[str] = set()
        # Decodes waiting (newest last) and running, shared with the pool's threads.
        self._lock = threading.Lock()
        self._queued: OrderedDict[str, None] = OrderedDict()
        self._running: set[str] = set()
        self._decoders = 0  # pool threads draining the queue
        self._generation = 0  # bumped by clear(): late results of old requests are ignored
        self._pool = QThreadPool(self)
        # Leave the GUI thread a core: it paints while the pool decodes.
        ideal = QThread.idealThreadCount()
        self._pool.setMaxThreadCount(threads or max(1, min(4, ideal - 1)))
        self._relay = _Relay()
        self._relay.decoded.connect(self._on_relay_decoded, Qt.ConnectionType.QueuedConnection)
        self.decoded_count = 0  # decodes finished, for tests and benchmarks

    # -- queries -------------------------------------------------------------------------
    def get(self, path: str) -> QImage | None:
        """The thumbnail if cached (FAILED if unreadable); else None, and a decode is queued."""
        image = self._images.get(path)
        if image is not None:
            self._images.move_to_end(path)
            return image
        if path in self._failed:
            return self.FAILED
        self.request(path)
        return None

    def peek(self, path: str) -> QImage | None:
        """Cached thumbnail without queueing anything or touching the LRU order."""
        return self._images.get(path)

    def __contains__(self, path: str) -> bool:
        return path in self._images

    def __len__(self) -> int:
        return len(self._images)

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    @property
    def pending_count(self) -> int:
        """Decodes queued or running."""
        with self._lock:
            return len(self._queued) + len(self._running)

    # -- requests ------------------------------------------------------------------------
    def request(self, path: str) -> None:
        """Queue a decode (newest requests first); a repeated request moves to the front.

        Every visible tile asks on every repaint (~300 maximised on a 4K screen), so asking
        again costs a dictionary move: re-queueing each in QThreadPool's priority queue
        (tryTake and start, linear in its length) was a third of a full repaint."""
        with self._lock:
            if path in self._running:
                return
            if path in self._queued:
                self._queued.move_to_end(path)
                return
            self._queued[path] = None
            while len(self._queued) > MAX_PENDING:  # scrolled out of view before decoding
                self._queued.popitem(last=False)
            start = self._decoders < self._pool.maxThreadCount()
            if start:
                self._decoders += 1
        if start:
            self._pool.start(_Decoder(self._decode_queued))

    def _decode_queued(self) -> None:
        """One pool thread: decode the newest queued request until none is left."""
        _lower_this_thread()
        while True:
            with self._lock:
                if not self._queued:
                    self._decoders -= 1
                    return
                path, _ = self._queued.popitem(last=True)
                self._running.add(path)
                generation, size = self._generation, self.size
            try:
                image = decode_thumbnail(path, size)
            except Exception:  # never let a bad file kill a pool thread
                image = QImage()
            self._relay.decoded.emit(path, generation, image)

    def clear(self) -> None:
        """Forget every thumbnail and queued request (e.g. a new folder or a new tile size)."""
        with self._lock:
            self._generation += 1
            self._queued.clear()
            self._running.clear()
        self._images.clear()
        self._failed.clear()
        self._bytes = 0

    def set_size(self, size: int) -> None:
        if size != self.size:
            self.size = size
            self.clear()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Drop queued decodes and wait for running ones (call before the app quits)."""
        self.clear()
        self._pool.clear()
        return self._pool.waitForDone(timeout_ms)

    # -- results -------------------------------------------------------------------------
    def _on_relay_decoded(self, path: str, generation: int, image: QImage) -> None:
        with self._lock:
            if generation != self._generation:
                return  # requested before clear(): stale
            self._running.discard(path)
        self.decoded_count += 1
        if image.isNull():
            self._failed.add(path)
        else:
            self._store(path, image)
        self.thumbnailReady.emit(path)

    def _store(self, path: str, image: QImage) -> None:
        old = self._images.pop(path, None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
        self._images[path] = image
        self._bytes += image.sizeInBytes()
        while self._images and (
            len(self._images) > self.max_images or self._bytes > self.max_bytes
        ):
            _, evicted = self._images.popitem(last=False)
            self._bytes -= evicted.sizeInBytes()
