"""Live plots stay cheap to repaint: steady y ranges, axes cached as pixmaps, grids filled."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPixmap

from core.events import StepEnded
from gui.widgets.metrics_plot import MetricsPlots
from gui.widgets.plot_axes import GridAxis, hairline_rect
from gui.widgets.plot_ranges import nice_step, steady_range


def _step(i: int, loss: float) -> StepEnded:
    return StepEnded(0, i, i, 100, loss=loss, lr=0.01, images_per_second=1, eta_seconds=0)


@pytest.fixture
def plots(qtbot):
    widget = MetricsPlots()
    qtbot.addWidget(widget)
    widget.resize(700, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_nice_steps_are_one_two_or_five_times_a_power_of_ten():
    assert [nice_step(s) for s in (0.7, 1.0, 1.3, 3.0, 7.0, 0.013)] == [1, 1, 2, 5, 10, 0.02]
    assert nice_step(0.0) == 1.0 and nice_step(math.nan) == 1.0


def test_steady_range_keeps_a_range_that_holds_the_data():
    assert steady_range(0.4, 2.3, (0.0, 2.5)) == (0.0, 2.5)
    low, high = steady_range(0.1, 2.3, None)
    assert low <= 0.1 and high >= 2.3
    # Data filling less than 40 % of the range gets a tighter one (the curve is not flat).
    assert steady_range(10.0, 11.0, (0.0, 100.0)) != (0.0, 100.0)


def test_steady_range_respects_limits_unless_the_data_does_not():
    assert steady_range(97.0, 100.0, (90.0, 99.0), (0.0, 100.0))[1] == 100.0
    assert steady_range(0.01, 0.5, (0.2, 0.6), (0.0, math.inf))[0] == 0.0
    assert steady_range(-0.5, 1.0, None, (0.0, math.inf))[0] <= -0.5  # data below: shown


def test_a_falling_loss_moves_the_y_axis_a_few_times_and_every_point_stays_in_view(plots):
    ranges = []
    for i in range(600):
        plots.add_step(_step(i, 2.3 * math.exp(-i / 80) + 0.05 + 0.03 * (i % 3)))
        if i % 5 == 4:  # a redraw every 5 steps, as the timer does while training
            plots._redraw()
            _, (low, high) = plots.loss_plot.getViewBox().viewRange()
            _, y = plots.curves["train_loss_raw"].getOriginalDataset()
            assert low <= np.nanmin(y) and np.nanmax(y) <= high
            ranges.append((round(low, 9), round(high, 9)))
    assert len(set(ranges)) <= 12  # auto-range moved at all 120 redraws


def test_accuracy_axis_never_shows_more_than_100_percent_for_percentages(plots):
    from gui.demo.demo_data import demo_class_names, demo_epochs

    for ev in demo_epochs(demo_class_names(4), epochs=8):
        plots.add_epoch(ev)
        plots._redraw()
    _, (low, high) = plots.accuracy_plot.getViewBox().viewRange()
    assert high <= 103  # 100 % plus pyqtgraph's 2 % padding
    _, y = plots.curves["val_acc"].getOriginalDataset()
    assert low <= y.min()


def test_repainting_an_unchanged_plot_does_not_draw_its_axes_again(plots, qtbot, monkeypatch):
    for i in range(50):
        plots.add_step(_step(i, 1.0 / (i + 1)))
    plots._redraw()
    plots.loss_plot.grab()
    painted = []
    original = pg.AxisItem.paint
    monkeypatch.setattr(
        pg.AxisItem, "paint", lambda self, *a: (painted.append(self), original(self, *a))[1]
    )
    plots.loss_plot.viewport().repaint()
    assert painted == []  # blitted from the cache: tick labels and grid are not redrawn
    plots.loss_plot.setYRange(0, 7)
    plots.loss_plot.viewport().repaint()
    assert painted  # a new range draws the axis again


def _two_level_axis(orientation: str) -> pg.AxisItem:
    """pyqtgraph's own axis, ticks two levels deep like GridAxis."""
    axis = pg.AxisItem(orientation)
    axis.setStyle(maxTickLevel=1)
    return axis


def _grid_plot(make_axis) -> pg.PlotWidget:
    plot = pg.PlotWidget(axisItems={"left": make_axis("left"), "bottom": make_axis("bottom")})
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.plot([0, 1, 2, 3], [0.3, 0.9, 0.4, 0.7], pen=pg.mkPen((31, 119, 180), width=2))
    plot.setXRange(0, 3.3, padding=0)
    plot.setYRange(0.17, 1.03, padding=0)
    plot.resize(420, 310)
    return plot


def test_the_fast_grid_draws_the_same_picture_as_pyqtgraphs(qtbot):
    # GridAxis fills the translucent grid hairlines instead of stroking them (~50x faster
    # maximised on a 4K screen): the plot must look the same, grid lines and ticks included.
    pictures = []
    for make_axis in (_two_level_axis, GridAxis):
        plot = _grid_plot(make_axis)
        qtbot.addWidget(plot)
        plot.show()
        qtbot.waitExposed(plot)
        image = plot.grab().toImage()
        pictures.append(
            np.array([[image.pixel(x, y) for x in range(0, 420, 3)] for y in range(310)])
        )
    pyqtgraphs, ours = pictures
    assert len(np.unique(pyqtgraphs)) > 10  # grid, ticks, labels and a curve were drawn
    assert (pyqtgraphs != ours).mean() < 0.002  # a stray pixel at most


def test_a_plot_maximised_on_4k_draws_two_levels_of_grid_lines_not_three(qtbot):
    # pyqtgraph adds a third, finer level of lines when a plot is large: ~3x the lines to
    # draw each time a range changes, and a busier grid than at 1600x1000.
    levels = {}
    for make_axis in (pg.AxisItem, GridAxis):
        plot = _grid_plot(make_axis)
        qtbot.addWidget(plot)
        plot.resize(3600, 900)
        plot.show()
        qtbot.waitExposed(plot)
        device = QPixmap(4, 4)
        painter = QPainter(device)
        specs = plot.getAxis("bottom").generateDrawSpecs(painter)
        painter.end()
        levels[make_axis] = len({pen.color().alpha() for pen, _, _ in specs[1]})
    assert levels == {pg.AxisItem: 3, GridAxis: 2}


def test_hairline_rects_cover_the_pixels_drawline_covers():
    pen = pg.mkPen((0, 0, 0, 63), width=1)
    assert hairline_rect(pen, QPointF(300.5, 12.6), QPointF(40.0, 12.6)) == QRectF(40, 12, 261, 1)
    assert hairline_rect(pen, QPointF(7.2, 90.0), QPointF(7.2, 3.0)) == QRectF(7, 3, 1, 88)
    assert hairline_rect(pen, QPointF(0, 0), QPointF(5, 5)) is None  # slanted: stroked
    assert hairline_rect(pg.mkPen("k", width=3), QPointF(0, 1), QPointF(9, 1)) is None
    dashed = pg.mkPen("k", width=1, style=Qt.PenStyle.DashLine)
    assert hairline_rect(dashed, QPointF(0, 1), QPointF(9, 1)) is None


def test_the_training_plots_draw_their_grids_the_fast_way(plots):
    for plot in plots.plots():
        for name in ("left", "bottom"):
            assert isinstance(plot.getAxis(name), GridAxis), (plot.objectName(), name)
