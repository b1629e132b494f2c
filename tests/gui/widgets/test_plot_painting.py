"""Live plots stay cheap to repaint: steady y ranges and axes cached as pixmaps."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest

from core.events import StepEnded
from gui.widgets.metrics_plot import MetricsPlots
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
