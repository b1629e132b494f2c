"""Images per class as a bar chart: one bar per class, stacked by split (train/val/test).

Class names are the x tick labels: level while each bar has room for a readable name
(shortened with "…"), else turned upright (many classes), and every k-th one only when
even upright labels would overlap. Hovering a bar shows the full name
and the counts per split."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QToolTip, QVBoxLayout, QWidget

from gui.widgets.accessible import describe, keep_out_of_tab_chain

pg.setConfigOptions(antialias=True, background="w", foreground="k")

# Same blue/orange as the training curves (train/val); test in green.
SPLIT_COLORS: dict[str, tuple[int, int, int]] = {
    "images": (47, 111, 222),
    "train": (31, 119, 180),
    "val": (230, 110, 0),
    "test": (44, 140, 60),
}
BAR_WIDTH = 0.7  # in class slots: the gap between bars keeps neighbours apart
MAX_VALUE_LABELS = 30  # above this many classes the numbers on the bars would collide
LEVEL_LABEL_MIN_SLOT = 72  # px per bar from which level, elided labels still read well
MAX_UPRIGHT_LABEL = 120  # px: longer upright names are elided, so the plot keeps its height
MAX_SPOKEN_CLASSES = 30  # the chart's accessible description names this many classes


def counts_sentence(class_names: Sequence[str], totals: Sequence[int]) -> str:
    """What the bars show, for a screen reader: "cat 120, dog 80 images"."""
    parts = [f"{name} {total:,}" for name, total in zip(class_names, totals, strict=False)]
    more = len(parts) - MAX_SPOKEN_CLASSES
    text = ", ".join(parts[:MAX_SPOKEN_CLASSES]) + (
        f" and {more:,} more classes" if more > 0 else ""
    )
    return f"{text} images" if parts else "No dataset yet"


class ClassAxis(pg.AxisItem):
    """A bottom axis that can draw its labels upright (rotated 90°), ending at their tick.
    pyqtgraph only draws level labels and drops those that overlap."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.upright_labels: list[tuple[float, str]] = []  # (x in data units, text)

    def set_upright_labels(self, labels: list[tuple[float, str]], height: int | None) -> None:
        self.upright_labels = labels
        self.setHeight(height)
        self.picture = None  # pyqtgraph caches the drawing
        self.update()

    def drawPicture(self, p: QPainter, axisSpec, tickSpecs, textSpecs) -> None:  # noqa: N803
        super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
        view = self.linkedView()
        if not self.upright_labels or view is None:
            return
        metrics = p.fontMetrics()
        top = max(0, self.style["tickLength"]) + 3
        for x, text in self.upright_labels:
            px = self.mapFromScene(view.mapViewToScene(QPointF(x, 0))).x()
            p.save()
            p.translate(px, top)
            p.rotate(-90)  # text runs bottom to top and ends just under the tick
            width = metrics.horizontalAdvance(text) + 2
            rect = QRectF(-width, -metrics.height() / 2, width, metrics.height())
            p.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
            p.restore()


class ClassBarChart(QWidget):
    """`set_counts(class_names, {series: {class: count}})`; a series per split, stacked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.axis = ClassAxis()
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.axis})
        self.plot_widget.setObjectName("classBarPlot")
        self.plot_widget.setMinimumHeight(180)
        self.plot_widget.setMenuEnabled(False)
        keep_out_of_tab_chain(self.plot_widget)  # nothing to do there with keys
        describe(self.plot_widget, "Images per class", counts_sentence([], []))
        plot = self.plot_widget.getPlotItem()
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.showGrid(x=False, y=True, alpha=0.25)
        plot.setLabel("left", "images")
        # One row of keys at the top right, above the headroom left over the bars.
        self._legend = plot.addLegend(offset=(-10, 4), labelTextColor="k", colCount=3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)

        self._class_names: list[str] = []
        self._series: dict[str, list[int]] = {}
        self._bars: list[pg.BarGraphItem] = []
        self._value_labels: list[pg.TextItem] = []
        # Tick labels depend on the plot's pixel width: recompute once the resize settles.
        self._relabel_timer = QTimer(self, singleShot=True, interval=0)
        self._relabel_timer.timeout.connect(self._update_tick_labels)
        plot.getViewBox().sigResized.connect(self._relabel_timer.start)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)

    # ---- data -------------------------------------------------------------------------------

    def set_counts(
        self, class_names: Sequence[str], counts: Mapping[str, Mapping[str, int]]
    ) -> None:
        """counts: series name (split) -> class -> number of images. Series are stacked in
        the order given; a series with no images at all is left out of the legend."""
        self.clear()
        self._class_names = list(class_names)
        for name, per_class in counts.items():
            values = [int(per_class.get(c, 0)) for c in self._class_names]
            if any(values):
                self._series[name] = values
        plot = self.plot_widget.getPlotItem()
        x = list(range(len(self._class_names)))
        bottom = [0] * len(x)
        for name, values in self._series.items():
            r, g, b = SPLIT_COLORS.get(name, (120, 120, 120))
            bars = pg.BarGraphItem(
                x=x,
                y0=bottom,
                height=values,
                width=BAR_WIDTH,
                brush=pg.mkBrush(r, g, b, 220),
                pen=pg.mkPen(255, 255, 255, width=1),
            )
            plot.addItem(bars)
            self._bars.append(bars)
            bottom = [a + v for a, v in zip(bottom, values, strict=True)]
        if len(self._series) > 1:  # a single series needs no key
            for bars, name in zip(self._bars, self._series, strict=True):
                self._legend.addItem(bars, name)
        if len(x) <= MAX_VALUE_LABELS:
            for i, total in enumerate(bottom):
                label = pg.TextItem(str(total), color=(60, 70, 80), anchor=(0.5, 1.0))
                label.setPos(i, total)
                plot.addItem(label)
                self._value_labels.append(label)
        top = max(bottom, default=0)
        plot.setXRange(-0.6, max(len(x) - 0.4, 0.4), padding=0)
        # Headroom for the numbers above the tallest bar (and the legend, when shown).
        headroom = 1.25 if len(self._series) > 1 else 1.15
        plot.setYRange(0, max(top * headroom, 1), padding=0)
        self._update_tick_labels()
        self.plot_widget.setAccessibleDescription(counts_sentence(self._class_names, bottom))

    def clear(self) -> None:
        plot = self.plot_widget.getPlotItem()
        for item in [*self._bars, *self._value_labels]:
            plot.removeItem(item)
        self._legend.clear()
        self._bars, self._value_labels = [], []
        self._class_names, self._series = [], {}
        plot.getAxis("bottom").setTicks([[]])
        self.plot_widget.setAccessibleDescription(counts_sentence([], []))

    def class_names(self) -> list[str]:
        return list(self._class_names)

    def series(self) -> dict[str, list[int]]:
        """What is drawn: series name -> count per class, in class order."""
        return {name: list(values) for name, values in self._series.items()}

    def totals(self) -> list[int]:
        return [sum(v) for v in zip(*self._series.values(), strict=True)] if self._series else []

    # ---- labels and hover -------------------------------------------------------------------

    def _update_tick_labels(self) -> None:
        axis = self.axis
        n = len(self._class_names)
        if not n:
            axis.setTicks([[]])
            axis.set_upright_labels([], None)
            return
        view_width = self.plot_widget.getPlotItem().getViewBox().width()
        slot = max(view_width / n, 1.0)
        metrics = QFontMetrics(axis.style.get("tickFont") or QFont())
        widest = max(metrics.horizontalAdvance(name) for name in self._class_names)
        if widest + 6 <= slot or slot >= LEVEL_LABEL_MIN_SLOT:  # level, elided if need be
            axis.set_upright_labels([], None)
            width = int(slot) - 6
            elide = Qt.TextElideMode.ElideRight
            axis.setTicks(
                [
                    [
                        (i, metrics.elidedText(name, elide, width))
                        for i, name in enumerate(self._class_names)
                    ]
                ]
            )
            return
        # Upright: a label needs one line height of width; label every k-th class if even
        # that is too much (hovering still names each bar).
        step = 1
        while step < n and slot * step < metrics.height() + 2:
            step += 1
        labels = [
            (i, metrics.elidedText(name, Qt.TextElideMode.ElideRight, MAX_UPRIGHT_LABEL))
            for i, name in enumerate(self._class_names)
            if i % step == 0
        ]
        longest = max(metrics.horizontalAdvance(text) for _, text in labels)
        axis.setTicks([[(i, "") for i, _ in labels]])
        axis.set_upright_labels(labels, longest + max(0, axis.style["tickLength"]) + 10)

    def upright_labels(self) -> list[str]:
        """The upright class labels drawn (empty when labels are level)."""
        return [text for _, text in self.axis.upright_labels]

    def _on_scene_mouse_moved(self, scene_pos: QPointF) -> None:
        index = self._bar_at(scene_pos)
        if index is None:
            QToolTip.hideText()
            return
        parts = [f"{name}: {values[index]}" for name, values in self._series.items()]
        text = f"<b>{self._class_names[index]}</b><br>" + "<br>".join(parts)
        if len(self._series) > 1:
            text += f"<br>total: {sum(v[index] for v in self._series.values())}"
        view = self.plot_widget
        global_pos = view.mapToGlobal(view.mapFromScene(scene_pos))
        QToolTip.showText(global_pos, text, view)

    def _bar_at(self, scene_pos: QPointF) -> int | None:
        if not self._class_names:
            return None
        box = self.plot_widget.getPlotItem().getViewBox()
        if not box.sceneBoundingRect().contains(scene_pos):
            return None
        point = box.mapSceneToView(scene_pos)
        index = round(point.x())
        if not 0 <= index < len(self._class_names) or abs(point.x() - index) > BAR_WIDTH / 2:
            return None
        total = sum(v[index] for v in self._series.values())
        return index if 0 <= point.y() <= max(total, 1) else None


def _demo() -> ClassBarChart:
    chart = ClassBarChart()
    names = ["cat", "dog", "horse", "a rather long class name", "zebra", "bird"]
    chart.set_counts(
        names,
        {
            "train": dict(zip(names, [120, 95, 60, 30, 80, 15], strict=True)),
            "val": dict(zip(names, [30, 24, 15, 8, 20, 4], strict=True)),
            "test": dict(zip(names, [30, 24, 15, 8, 20, 4], strict=True)),
        },
    )
    chart.resize(640, 320)
    return chart


if __name__ == "__main__":
    from gui.demo.demo_app import run_demo

    run_demo(_demo, "ClassBarChart demo")
