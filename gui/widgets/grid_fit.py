"""Tile grids (QListView in icon mode) that fill their width: the spare pixels are shared
between the columns instead of leaving an empty strip on the right."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QListView, QStyle


def fitted_cell(view: QListView, tile: QSize) -> QSize:
    """The grid cell for tiles of `tile` size (spacing included) that makes whole columns
    span the view's width, a vertical scroll bar allowed for."""
    scrollbar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    width = view.width() - 2 * view.frameWidth() - scrollbar - 2
    gap = 2 * view.spacing()
    columns = max(1, width // (tile.width() + gap))
    return QSize(max(tile.width() + gap, width // columns), tile.height() + gap)
