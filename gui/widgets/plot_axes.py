"""Axes of the training plots: grid lines that are cheap to draw, and learning rates that
read "1e-4", not "0.0001"."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen, QPixmapCache
from PySide6.QtWidgets import QGraphicsItem

from gui.widgets.accessible import keep_out_of_tab_chain

# Qt keeps item caches in QPixmapCache (10 MB by default). An axis with its grid is a pixmap
# the size of the plot: three plots maximised on a 4K screen need ~30 MB, or the caches
# evict each other and every repaint renders the axes again.
PIXMAP_CACHE_KB = 64 * 1024


def format_learning_rate_ticks(values: Iterable[float], spacing: float, top: float) -> list[str]:
    """Tick labels for a learning-rate axis whose largest visible value is `top`.

    Small rates read best in scientific notation ("1e-4", "2.5e-4"): decimals would be
    "0.00025". From 0.002 up, plain decimals ("0.001", "0.0015", "0.1") are shorter."""
    values = list(values)
    if spacing <= 0 or not math.isfinite(spacing):
        return [f"{v:g}" for v in values]
    step_exp = math.floor(math.log10(spacing))
    scientific = abs(top) < 2e-3
    labels = []
    for v in values:
        if abs(v) < spacing * 1e-3:
            labels.append("0")
        elif scientific:
            digits = max(0, math.floor(math.log10(abs(v))) - step_exp)
            mantissa, exponent = f"{v:.{digits}e}".split("e")
            if "." in mantissa:
                mantissa = mantissa.rstrip("0").rstrip(".")
            labels.append(f"{mantissa}e{int(exponent)}")
        else:
            places = max(0, -step_exp)
            labels.append(f"{v:.{places}f}")
    return labels


def hairline_rect(pen: QPen, start: QPointF, end: QPointF) -> QRectF | None:
    """The 1-px rectangle a horizontal or vertical hairline of `pen` covers (aliased: the
    pixels right of and below the mathematical line, as QPainter.drawLine), or None when
    the line is not one (slanted, wide, dashed, gradient)."""
    plain = (
        pen.style() == Qt.PenStyle.SolidLine
        and pen.brush().style() == Qt.BrushStyle.SolidPattern
        and (pen.widthF() <= 1 if pen.isCosmetic() else pen.widthF() == 0)
    )
    if not plain:
        return None
    if start.y() == end.y():
        left, right = sorted((start.x(), end.x()))
        return QRectF(
            math.floor(left), math.floor(start.y()), math.floor(right) - math.floor(left) + 1, 1
        )
    if start.x() == end.x():
        top, bottom = sorted((start.y(), end.y()))
        return QRectF(
            math.floor(start.x()), math.floor(top), 1, math.floor(bottom) - math.floor(top) + 1
        )
    return None


# px a tick label may stick out past the end of its axis: the last epoch's "5" at the right
# end of the epoch axis, the top value of a y axis. pyqtgraph hides a label that leaves the
# axis with a grid (so a 1280 px window lost its last epoch label); the plot leaves this
# much room around its view (PLOT_MARGINS) for it.
LABEL_OVERHANG = 12
PLOT_MARGINS = (1, LABEL_OVERHANG // 2 + 1, LABEL_OVERHANG, 1)  # left, top, right, bottom


class GridAxis(pg.AxisItem):
    """An axis whose ticks and grid lines are drawn as filled 1-px rectangles.

    Its grid lines are translucent hairlines across the plot, and Qt's raster engine draws a
    translucent hairline ~50 times slower than it fills the same pixels: drawing one plot's
    axis (~60 grid lines) took 20-30 ms maximised on a 4K screen, each time its range
    changed, and that was the window's longest stall while training
    (benchmarks/gui_responsiveness.py --stacks). Filled, 0.3 ms; the same pixels.

    Ticks and grid lines go two levels deep (major, minor), not three: pyqtgraph adds a third
    level when the plot is large enough, so maximised on 4K each plot drew ~3 times the
    lines it draws at 1600x1000, and resizing the three plots took 55-90 ms, 28-35 without."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setStyle(maxTickLevel=1)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        """pyqtgraph's, and room for a label at the far end (see LABEL_OVERHANG)."""
        rect = super().boundingRect()
        if self.orientation == "bottom":
            return rect.adjusted(0, 0, LABEL_OVERHANG, 0)
        if self.orientation == "left":
            return rect.adjusted(0, -PLOT_MARGINS[1], 0, 0)
        return rect

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs) -> None:  # noqa: N802, N803
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        for pen, start, end in [axisSpec, *tickSpecs]:
            rect = hairline_rect(pen, start, end)
            if rect is None:
                p.setPen(pen)
                p.drawLine(start, end)
            else:
                p.fillRect(rect, pen.color())
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        p.setPen(self.textPen())
        p.setClipRect(self.boundingRect().toAlignedRect())
        for rect, flags, text in textSpecs:
            p.drawText(rect, int(flags), text)


class LearningRateAxis(GridAxis):
    """Left axis of the learning-rate plot: "1e-4"-style labels for small rates."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        top = max(abs(r) for r in self.range) * scale
        return format_learning_rate_ticks([v * scale for v in values], spacing * scale, top)


def cache_axes(plot: pg.PlotWidget) -> None:
    """Keep each axis (tick labels, and the grid lines it draws across the plot) as a pixmap.

    pyqtgraph replays an axis's drawing on every repaint of the plot, and any new point on a
    curve repaints the area under the grid: that replay was the largest share of the GUI
    thread's time while training (benchmarks/gui_responsiveness.py). A cached axis is
    rendered again only when it changes (new range, size or ticks), which is rare with
    plot_ranges.steady_range."""
    QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getPlotItem().getAxis(name)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def epoch_plot(object_name: str, y_label: str, left_axis: Any = None) -> pg.PlotWidget:
    """One of the training plots: a value against epochs, on GridAxis axes kept as pixmaps."""
    plot = pg.PlotWidget(
        axisItems={
            "left": left_axis if left_axis is not None else GridAxis("left"),
            "bottom": GridAxis("bottom"),
        }
    )
    # PlotWidget(objectName=...) would go to the PlotItem, not to the Qt widget.
    plot.setObjectName(object_name)
    plot.setLabel("left", y_label)
    plot.setLabel("bottom", "epoch")
    plot.showGrid(x=True, y=True, alpha=0.25)
    # Epochs, losses and percentages read as they are: "x0.001" on an epoch axis in the
    # first epoch (ticks "300 … 700") misled every new user.
    plot.getAxis("bottom").enableAutoSIPrefix(False)
    plot.getAxis("left").enableAutoSIPrefix(False)
    plot.getAxis("left").setWidth(62)  # same width in all three keeps the epochs aligned
    plot.setMenuEnabled(False)
    keep_out_of_tab_chain(plot)  # no keyboard action; its name and values are read instead
    plot.setMinimumSize(200, 110)
    # Room for the last epoch's tick label and the top value's, which stick out of the
    # view; at 1280x720 pyqtgraph dropped them (LABEL_OVERHANG).
    plot.getPlotItem().layout.setContentsMargins(*PLOT_MARGINS)
    cache_axes(plot)
    return plot
