"""How the training curves look: their colours, lines and markers.

Train curves are blue, validation curves orange, the learning rate green; the train loss of
every step is a thin, faint line under its smoothed curve; measured points (one an epoch)
get a marker; a compared run is a dashed line of its own colour."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt

TRAIN_COLOR = (31, 119, 180)  # blue
VAL_COLOR = (230, 110, 0)  # orange
LR_COLOR = (44, 140, 60)  # green
MARKER_SIZE = 6  # px


def line_pen(color: Any, width: float = 2.0, dashed: bool = False) -> Any:
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    return pg.mkPen(color, width=width, style=style)


def add_curve(
    plot: pg.PlotWidget, name: str | None, pen: Any, marker_color: Any = None
) -> pg.PlotDataItem:
    """A curve drawn with `pen` (and round markers of `marker_color` at its points), listed
    in the plot's legend as `name` (None: not listed)."""
    options: dict[str, Any] = {"pen": pen, "name": name}
    if marker_color is not None:
        options.update(symbol="o", symbolSize=MARKER_SIZE, symbolBrush=marker_color, symbolPen=None)
    item = plot.plot(**options)
    if marker_color is not None:
        # The legend draws an entry's marker as the scatter's: pyqtgraph styles it only
        # with the first points, and the legend, above the data, is not repainted then.
        item.scatter.setSymbol("o")
        item.scatter.setSize(MARKER_SIZE)
        item.scatter.setBrush(pg.mkBrush(marker_color))
        item.scatter.setPen(pg.mkPen(None))
    item.setClipToView(True)
    item.setDownsampling(auto=True, method="peak")
    return item
