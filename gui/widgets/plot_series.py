"""The numbers behind a live curve: growable arrays, values read from metrics.csv, and the
points a plotted curve holds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg


class Series:
    """A growable pair of float arrays (amortised O(1) append, no copy on read)."""

    def __init__(self) -> None:
        self._x = np.empty(256)
        self._y = np.empty(256)
        self.size = 0

    def append(self, x: float, y: float) -> None:
        # A resumed run restarts at an earlier x: drop the points it replaces so the
        # curve never doubles back on itself.
        if self.size and x <= self._x[self.size - 1]:
            self.size = int(np.searchsorted(self._x[: self.size], x, side="left"))
        if self.size == len(self._x):
            self._x = np.concatenate([self._x, np.empty(len(self._x))])
            self._y = np.concatenate([self._y, np.empty(len(self._y))])
        self._x[self.size] = x
        self._y[self.size] = y
        self.size += 1

    def clear(self) -> None:
        self.size = 0

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.size]


def number(value: Any) -> float:
    """metrics.csv values arrive as strings, possibly empty."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def curve_points(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The finite (x, y) points a plotted curve was given."""
    x, y = item.getOriginalDataset()
    if x is None or y is None or len(x) == 0:
        return np.empty(0), np.empty(0)
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]
