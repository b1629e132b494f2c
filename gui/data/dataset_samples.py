"""A few sample thumbnails per class, decoded in a thread pool so a folder of 12-megapixel
photos never stalls the window.

Decoded by gui.widgets.thumbnail_cache.decode_thumbnail, the one thumbnail decoder: at the
thumbnail size, upright by EXIF orientation, with a PIL fallback."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QFontMetrics, QImage, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QWidget

from core.data.datasets import Sample
from gui.widgets.accessible import describe
from gui.widgets.thumbnail_cache import decode_thumbnail

THUMBNAIL_SIDE = 76  # px, longest side of a sample picture
SAMPLES_PER_CLASS = 4
MAX_CLASSES_SHOWN = 60  # beyond this the grid only grows; the chart still shows every class
NAME_WIDTH = 130  # px for the class-name column; longer names are elided (full name in tooltip)


def pick_samples(samples: Sequence[Sample], label: int, n: int = SAMPLES_PER_CLASS) -> list[str]:
    """n paths of one class, spread evenly over its (sorted) files: subfolders and photo
    sessions differ, and the first n files are often near-duplicates."""
    paths = [s.path for s in samples if s.label == label]
    if len(paths) <= n:
        return paths
    return [paths[round(i * (len(paths) - 1) / (n - 1))] for i in range(n)] if n > 1 else paths[:1]


class _ThumbnailSignals(QObject):
    loaded = Signal(int, int, QImage)  # generation, tile index, image (null when unreadable)


class _ThumbnailJob(QRunnable):
    def __init__(self, signals: _ThumbnailSignals, generation: int, index: int, path: str):
        super().__init__()
        self._signals, self._generation, self._index, self._path = signals, generation, index, path

    def run(self) -> None:
        self._signals.loaded.emit(
            self._generation,
            self._index,
            decode_thumbnail(self._path, THUMBNAIL_SIDE, upscale=True),
        )


class SampleGrid(QScrollArea):
    """One row per class: its name and image count, then SAMPLES_PER_CLASS thumbnails."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleGrid")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # Focusable (the arrow keys and Page Up/Down scroll it): style.qss frames it then.
        describe(self, "Sample images", "A few images of each class")
        self._pool = QThreadPool(self)
        # Leave the GUI thread (and the scan) a core on small machines.
        self._pool.setMaxThreadCount(
            max(1, min(4, QThreadPool.globalInstance().maxThreadCount() - 1))
        )
        self._signals = _ThumbnailSignals(self)
        self._signals.loaded.connect(self._on_thumbnail_loaded)
        self._generation = 0
        self._tiles: list[QLabel] = []
        self._paths: list[str] = []
        self._pending = 0
        self._content = QWidget()
        self._content.setObjectName("sampleGridContent")
        self._grid = QGridLayout(self._content)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._grid.setContentsMargins(6, 6, 6, 6)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(8)
        self.setWidget(self._content)
        # Wide enough for a full row: name column plus the thumbnails, and a scroll bar.
        tiles = SAMPLES_PER_CLASS * (THUMBNAIL_SIDE + 4 + 6)
        self.setMinimumWidth(NAME_WIDTH + 8 + tiles + 12 + 14)

    def set_samples(
        self, class_names: Sequence[str], samples: Sequence[Sample], totals: Sequence[int]
    ) -> None:
        """Show up to SAMPLES_PER_CLASS images of each class; thumbnails fill in as they load."""
        self.clear()
        grid = self._grid
        shown = list(class_names)[:MAX_CLASSES_SHOWN]
        for row, name in enumerate(shown):
            grid.addWidget(self._name_label(name, totals[row] if row < len(totals) else 0), row, 0)
            for col, path in enumerate(pick_samples(samples, row)):
                tile = QLabel()
                tile.setObjectName("sampleTile")
                tile.setFixedSize(THUMBNAIL_SIDE + 4, THUMBNAIL_SIDE + 4)
                tile.setAlignment(Qt.AlignmentFlag.AlignCenter)
                tile.setToolTip(path)
                describe(tile, f"{name}: {os.path.basename(path)}")
                grid.addWidget(tile, row, col + 1)
                self._tiles.append(tile)
                self._paths.append(path)
        if len(class_names) > len(shown):
            more = QLabel(f"…and {len(class_names) - len(shown)} more classes (see the chart).")
            more.setProperty("role", "muted")
            grid.addWidget(more, len(shown), 0, 1, SAMPLES_PER_CLASS + 1)
        self._pending = len(self._paths)
        for index, path in enumerate(self._paths):
            self._pool.start(_ThumbnailJob(self._signals, self._generation, index, path))

    @staticmethod
    def _name_label(name: str, total: int) -> QLabel:
        shown = QFontMetrics(QLabel().font()).elidedText(
            name, Qt.TextElideMode.ElideRight, NAME_WIDTH
        )
        label = QLabel(
            f"<b>{html.escape(shown)}</b><br><span style='color:#52606D'>{total} images</span>"
        )
        label.setFixedWidth(NAME_WIDTH + 8)
        label.setToolTip(name)
        return label

    def clear(self) -> None:
        self._generation += 1  # thumbnails still decoding for the old grid are dropped
        self._pool.clear()
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._tiles, self._paths, self._pending = [], [], 0

    def shutdown(self, timeout_ms: int = 5000) -> None:
        self._generation += 1
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)

    # ---- for tests and callers --------------------------------------------------------------

    def sample_paths(self) -> list[str]:
        return list(self._paths)

    def loaded_count(self) -> int:
        """Tiles whose thumbnail has arrived (a placeholder counts: its job is done)."""
        return len(self._paths) - self._pending

    def is_loading(self) -> bool:
        return self._pending > 0

    def _on_thumbnail_loaded(self, generation: int, index: int, image: QImage) -> None:
        if generation != self._generation or not 0 <= index < len(self._tiles):
            return
        tile = self._tiles[index]
        if image.isNull():
            tile.setText("can't\nshow")
            tile.setProperty("unreadable", True)
        else:
            tile.setPixmap(QPixmap.fromImage(image))
        self._pending -= 1
