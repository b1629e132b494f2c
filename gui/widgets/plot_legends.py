"""Legends in a row above their plot's data, so that they never hide a curve.

A legend inside the plot hid data wherever it went once every corner held some: the flat,
noisy loss of a pretrained model being fine-tuned fills the whole plot (the legend sat on the
validation loss), and the names of four compared runs made a legend taller than half the Runs
page's loss plot at 1280x720. `LegendRow` takes the plot's title row instead (pyqtgraph's
PlotItem has one above the view; Loupe's plots have no title): as many entries a line as fit
the width of the data, another line only when they do not, and the view below keeps its
whole height for the curves."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

# pyqtgraph's PlotItem grid: the title in row 0 above the view's column (1), the view in row 2.
TITLE_ROW, VIEW_COLUMN = 0, 1
SAMPLE_GAP = 4  # px between an entry's line sample and its name
ENTRY_GAP = 14  # px between one entry's name and the next entry's line sample
ROW_GAP = 2  # px between the legend and the top of the data


def columns_that_fit(widths: list[float], available: float, gap: float = ENTRY_GAP) -> int:
    """The most entries a line that fit `available` px, for entries of `widths` laid out in
    a grid row by row (a column is as wide as its widest entry); at least 1."""
    for columns in range(len(widths), 1, -1):
        grid = [max(widths[column::columns]) for column in range(columns)]
        if sum(grid) + gap * (columns - 1) <= available:
            return columns
    return 1


class LegendRow(pg.LegendItem):
    """The plot's legend (`plot.getPlotItem().legend`, so curves plotted with a name join it
    and removed ones leave it), laid out in the row above the data."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        super().__init__(frame=False, horSpacing=SAMPLE_GAP, verSpacing=0)
        self.layout.setContentsMargins(0, 0, 0, 0)  # a floating legend's padding
        item = plot.getPlotItem()
        self._plot_item = item
        item.layout.removeItem(item.titleLabel)  # never shown: the legend has its place
        item.titleLabel.hide()
        # Never wider than the view's column can give: a legend must not push the view
        # narrower than the other plots' (their epochs line up by pixel position).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(0)
        item.layout.addItem(
            self,
            TITLE_ROW,
            VIEW_COLUMN,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
        )
        item.legend = self
        item.vb.sigResized.connect(self.fit)  # the legend's lines are as wide as the view
        self.fit()

    def entry_widths(self) -> list[float]:
        hint = Qt.SizeHint.PreferredSize
        return [
            sample.effectiveSizeHint(hint).width()
            + SAMPLE_GAP
            + label.effectiveSizeHint(hint).width()
            for sample, label in self.items
        ]

    def fit(self) -> None:
        """As many entries a line as fit the data's width; the title row as tall as the
        lines need (none when the legend is empty)."""
        columns = columns_that_fit(self.entry_widths(), self._plot_item.vb.width())
        if columns != self.columnCount:
            self.setColumnCount(columns)  # lays the entries out again, then calls updateSize
            return
        for column in range(columns):
            self.layout.setColumnSpacing(2 * column + 1, ENTRY_GAP)
        size = self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        height = size.height() if self.items else 0
        self.setMaximumWidth(size.width())  # its entries side by side, not spread out
        self.setFixedHeight(height)
        self._plot_item.layout.setRowFixedHeight(TITLE_ROW, height + ROW_GAP if height else 0)
        self.setVisible(bool(self.items))

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph's name
        """pyqtgraph sizes a floating legend here after each change; the title row's layout
        places this one, so this only fits the lines again."""
        self.fit()

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph's name
        ev.ignore()  # a floating legend can be dragged about; this one stays in its row
