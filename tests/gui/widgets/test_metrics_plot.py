"""MetricsPlots fed with demo events: curves, ranges, axes and legends (their place above
the data: test_plot_legends.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Signal

from core.events import StepEnded
from gui.demo.demo_data import (
    demo_class_names,
    demo_epochs,
    demo_steps,
)
from gui.widgets.metrics_plot import MetricsPlots
from gui.widgets.plot_axes import format_learning_rate_ticks

NAMES = demo_class_names(5)


def _points(curve) -> int:
    x, _ = curve.getOriginalDataset()
    return 0 if x is None else len(x)


# -- metrics plots ----------------------------------------------------------------------------


@pytest.fixture
def plots(qtbot):
    widget = MetricsPlots()
    qtbot.addWidget(widget)
    return widget


def test_plots_are_named_for_the_dashboard(plots):
    from pyqtgraph import PlotWidget

    names = {w.objectName() for w in plots.findChildren(PlotWidget)}
    assert {"lossPlot", "accuracyPlot", "lrPlot"} <= names


def test_plots_hold_one_point_per_step_and_epoch_after_the_timer(qtbot, plots):
    for ev in demo_steps(epochs=3, steps_per_epoch=10):
        plots.add_step(ev)
    for ev in demo_epochs(NAMES, epochs=3):
        plots.add_epoch(ev)
    # The plots redraw in successive frames (one plot per frame): wait for the last one.
    qtbot.waitUntil(lambda: _points(plots.curves["lr"]) == 30, timeout=2000)
    assert _points(plots.curves["val_acc"]) == 3
    assert _points(plots.curves["train_loss_raw"]) == 30
    assert _points(plots.curves["train_loss_smooth"]) == 30
    # Steps and epochs share the x axis in epochs: the last step of epoch 0 is at 1.0.
    step_x, _ = plots.curves["train_loss_raw"].getOriginalDataset()
    epoch_x, val_acc = plots.curves["val_acc"].getOriginalDataset()
    assert step_x[9] == pytest.approx(1.0)
    assert list(epoch_x) == [1.0, 2.0, 3.0]
    assert 0 < val_acc[0] <= 100 and val_acc[0] > 1  # drawn in percent


def test_adding_does_not_redraw_until_the_timer_fires(plots):
    plots.add_epoch(demo_epochs(NAMES, epochs=1)[0])
    assert _points(plots.curves["val_loss"]) == 0  # only buffered so far


def test_smoothed_loss_follows_the_raw_loss(qtbot, plots):
    for i in range(200):
        plots.add_step(
            StepEnded(0, i, i, 200, loss=1.0 + (i % 2), lr=0.1, images_per_second=1, eta_seconds=0)
        )
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_smooth"]) == 200, timeout=2000)
    _, smooth = plots.curves["train_loss_smooth"].getOriginalDataset()
    assert smooth[0] == pytest.approx(1.0)  # debiased: no pull towards zero at the start
    assert smooth[-1] == pytest.approx(1.5, abs=0.05)


def test_five_thousand_signalled_steps_are_all_plotted(qtbot, plots):
    class Emitter(QObject):
        stepped = Signal(object)

    emitter = Emitter()
    emitter.stepped.connect(plots.add_step)
    for ev in demo_steps(epochs=50, steps_per_epoch=100):
        emitter.stepped.emit(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["lr"]) == 5000, timeout=5000)
    assert _points(plots.curves["train_loss_raw"]) == 5000


def test_a_resumed_run_replaces_the_steps_it_repeats(qtbot, plots):
    for ev in demo_steps(epochs=2, steps_per_epoch=10):
        plots.add_step(ev)
    for ev in demo_steps(epochs=2, steps_per_epoch=10)[10:15]:  # resumed from epoch 1
        plots.add_step(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_raw"]) == 15, timeout=2000)
    x, _ = plots.curves["train_loss_raw"].getOriginalDataset()
    assert np.all(np.diff(x) > 0)


def test_clear_empties_the_current_run(qtbot, plots):
    for ev in demo_steps(epochs=1, steps_per_epoch=10):
        plots.add_step(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_raw"]) == 10, timeout=2000)
    plots.clear()
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_raw"]) == 0, timeout=2000)


def test_history_from_metrics_csv_rows(plots):
    rows = [
        {
            "epoch": "0",
            "train_loss": "1.2",
            "train_acc": "0.5",
            "val_loss": "1.1",
            "val_acc": "0.55",
            "lr": "0.01",
        },
        {
            "epoch": "1",
            "train_loss": "0.8",
            "train_acc": "0.7",
            "val_loss": "",
            "val_acc": "0.72",
            "lr": "0.005",
        },
    ]
    plots.set_history([(0.5, 1.3, 0.01), (1.0, 1.2, 0.01), (1.5, 1.0, 0.005)], rows)
    x, val_acc = plots.curves["val_acc"].getOriginalDataset()
    assert list(x) == [1.0, 2.0]
    assert list(val_acc) == pytest.approx([55.0, 72.0])
    _, val_loss = plots.curves["val_loss"].getOriginalDataset()
    assert np.isnan(val_loss[1])  # a missing value is a gap, not a crash
    assert _points(plots.curves["lr"]) == 3


def test_history_without_steps_plots_the_epoch_lr(plots):
    plots.set_history(
        [], [{"epoch": 0, "val_loss": 1, "val_acc": 0.5, "train_acc": 0.5, "lr": 0.1}]
    )
    _, lr = plots.curves["lr"].getOriginalDataset()
    assert list(lr) == [0.1]


def test_overlays_are_dashed_listed_in_the_legend_and_removable(plots):
    rows = [{"epoch": e, "val_loss": 1.0 / (e + 1), "val_acc": 0.5 + e / 10} for e in range(4)]
    plots.add_overlay("older run", rows, "m")
    loss_item, acc_item = plots.overlays["older run"]
    assert loss_item in plots.loss_plot.getPlotItem().listDataItems()
    assert _points(acc_item) == 4
    assert acc_item.opts["pen"].style() == Qt.PenStyle.DashLine
    legend_labels = [label.text for _, label in plots.loss_plot.getPlotItem().legend.items]
    assert "older run" in legend_labels
    plots.add_overlay("older run", rows[:2], "m")  # same name replaces
    assert len(plots.overlays) == 1
    plots.clear_overlays()
    assert plots.overlays == {}
    assert loss_item not in plots.loss_plot.getPlotItem().listDataItems()
    legend_labels = [label.text for _, label in plots.loss_plot.getPlotItem().legend.items]
    assert "older run" not in legend_labels


def _constant_lr_steps(lr: float, steps: int = 20) -> list[StepEnded]:
    return [StepEnded(0, i, i, steps, loss=2.0 - i / steps, lr=lr, images_per_second=1,
                      eta_seconds=0) for i in range(steps)]  # fmt: skip


@pytest.mark.parametrize("lr", [1e-4, 0.003, 0.1])
def test_a_constant_learning_rate_is_drawn_near_the_top_of_an_axis_from_zero(qtbot, plots, lr):
    for ev in _constant_lr_steps(lr):
        plots.add_step(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["lr"]) == 20, timeout=2000)
    low, high = plots.lr_plot.getViewBox().viewRange()[1]
    assert low <= 0 < lr < high <= 1.15 * lr  # not an autoscaled +-0.5 band around the line
    assert low >= -0.11 * lr  # a little room under 0 for its tick label


def test_learning_rate_ticks_are_scientific_for_small_rates():
    assert format_learning_rate_ticks([0.0, 1e-4, 2e-4], 1e-4, 2.2e-4) == ["0", "1e-4", "2e-4"]
    assert format_learning_rate_ticks([5e-5, 1e-4, 1.5e-4], 5e-5, 1.6e-4) == [
        "5e-5",
        "1e-4",
        "1.5e-4",
    ]
    assert format_learning_rate_ticks([1e-6, 3e-6], 1e-6, 3.3e-6) == ["1e-6", "3e-6"]
    # From 0.002 up, decimals are short enough.
    assert format_learning_rate_ticks([0.0, 0.001, 0.002, 0.003], 0.001, 0.0033) == [
        "0",
        "0.001",
        "0.002",
        "0.003",
    ]
    assert format_learning_rate_ticks([0.05, 0.1], 0.05, 0.11) == ["0.05", "0.10"]


def test_the_lr_axis_labels_its_ticks_with_the_formatter(plots):
    axis = plots.lr_plot.getAxis("left")
    axis.setRange(0, 2.2e-4)
    assert axis.tickStrings([1e-4, 2e-4], 1.0, 1e-4) == ["1e-4", "2e-4"]


def test_empty_plots_show_the_ranges_a_run_will_fill(qtbot, plots):
    # pyqtgraph's default was epoch -15…15 and an accuracy axis of 0…1 labelled "%".
    plots.clear()
    (x_min, x_max), _ = plots.loss_plot.getViewBox().viewRange()
    assert -0.1 <= x_min <= 0 and 1 <= x_max <= 1.1
    _, (acc_min, acc_max) = plots.accuracy_plot.getViewBox().viewRange()
    assert acc_min <= 0 and 99 <= acc_max <= 103
    plots.set_planned_epochs(10)
    (x_min, x_max), _ = plots.loss_plot.getViewBox().viewRange()
    assert x_min <= 0 and 10 <= x_max <= 10.5


def test_epoch_axis_reads_epochs_in_the_first_epoch_not_x0001(qtbot, plots):
    plots.set_planned_epochs(1)
    for ev in demo_steps(epochs=1, steps_per_epoch=10)[:6]:
        plots.add_step(ev)
    plots._redraw()
    for plot in (plots.loss_plot, plots.accuracy_plot, plots.lr_plot):
        axis = plot.getAxis("bottom")
        assert axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString()
        assert axis.tickStrings([0.3, 0.5], 1.0, 0.1) == ["0.3", "0.5"]
