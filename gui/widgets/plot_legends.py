"""Where a plot's legend goes: the corner that hides the least data (accuracy rises into
the top-right, loss falls into the bottom-right)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

LEGEND_MARGIN = 8  # px between a legend and the plot's edge
LEGEND_BRUSH = (255, 255, 255, 170)  # see-through: a point it still covers stays visible
# Legend offsets, in order of preference: top-right, top-left, bottom-right, bottom-left
# (pyqtgraph: a negative offset counts from the right/bottom edge).
LEGEND_CORNERS = (
    (-LEGEND_MARGIN, LEGEND_MARGIN),
    (LEGEND_MARGIN, LEGEND_MARGIN),
    (-LEGEND_MARGIN, -LEGEND_MARGIN),
    (LEGEND_MARGIN, -LEGEND_MARGIN),
)


def curve_points(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    x, y = item.getOriginalDataset()
    if x is None or y is None or len(x) == 0:
        return np.empty(0), np.empty(0)
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def legend_cost(plot: pg.PlotWidget, offset: tuple[float, float]) -> float:
    """How much of the plotted data a legend at this corner offset would cover.

    Data points count 5 (markers, real measurements); the lines between them are sampled
    at 100 places per curve, so a steep line between two epochs counts too."""
    view = plot.getViewBox()
    legend = plot.getPlotItem().legend
    width, height = view.width(), view.height()
    (x_min, x_max), (y_min, y_max) = view.viewRange()
    if legend is None or width <= 0 or height <= 0 or x_max <= x_min or y_max <= y_min:
        return 0.0
    pad = 4  # px: a point just outside the box still touches it visually
    left = offset[0] if offset[0] > 0 else width + offset[0] - legend.width()
    top = offset[1] if offset[1] > 0 else height + offset[1] - legend.height()
    right, bottom = left + legend.width(), top + legend.height()

    def covered(xs: np.ndarray, ys: np.ndarray) -> int:
        px = (xs - x_min) / (x_max - x_min) * width
        py = (y_max - ys) / (y_max - y_min) * height
        inside = (px > left - pad) & (px < right + pad) & (py > top - pad) & (py < bottom + pad)
        return int(np.count_nonzero(inside))

    cost = 0.0
    for item in plot.getPlotItem().listDataItems():
        if not item.isVisible():
            continue
        x, y = curve_points(item)
        if len(x) == 0:
            continue
        cost += 5 * covered(x, y)
        if len(x) > 1 and np.all(np.diff(x) > 0):
            dense_x = np.linspace(x[0], x[-1], 100)
            cost += covered(dense_x, np.interp(dense_x, x, y))
    return cost


def best_legend_corner(plot: pg.PlotWidget, current: tuple[float, float]) -> tuple[float, float]:
    """The corner covering the least data; the current one wins ties, so it does not jump."""
    costs = {corner: legend_cost(plot, corner) for corner in LEGEND_CORNERS}
    best = min(LEGEND_CORNERS, key=lambda corner: costs[corner])
    if current in costs and costs[current] <= costs[best]:
        return current
    return best
