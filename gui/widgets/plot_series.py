"""The numbers behind a live curve: growable arrays, and values read from metrics.csv."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


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
