"""The loss and accuracy plots' legends never hide a curve, in the real window at 1600x1000
and at 1280x720: on the Runs page (one run, or several compared) and on the Train page.

A legend inside the plot, even in its least crowded corner, covered data whenever every
corner held some: a fine-tuned model's flat, noisy loss fills the whole plot, and four
compared runs' names make a legend taller than half the Runs page's loss plot at 1280x720."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from gui.app import style_sheet
from gui.navigation import RUNS_PAGE, TRAIN_PAGE
from gui.widgets.plot_series import curve_points
from tests.gui.helpers import make_window
from tests.gui.runs.runs_helpers import METRICS_HEADER, STEPS_HEADER, write_run

WINDOW_SIZES = [(1600, 1000), (1280, 720)]
EPOCHS = 8
STEPS_PER_EPOCH = 30
MARKER_PX = 4  # a point this close to the legend's box touches it on screen


def _losses(kind: str, seed: int) -> tuple[list[tuple], list[list]]:
    """steps.csv and metrics.csv rows of a made-up run: "falling", the usual loss that
    falls fast and levels off; "flat", a pretrained model being fine-tuned (noisy and flat)."""
    rng = np.random.default_rng(seed)
    steps, metrics = [], []
    for epoch in range(EPOCHS):
        for step in range(STEPS_PER_EPOCH):
            x = epoch + (step + 1) / STEPS_PER_EPOCH
            if kind == "falling":
                loss = 2.0 * math.exp(-x / 1.5) + 0.3 + rng.normal(0, 0.12)
            else:
                loss = 0.45 + rng.normal(0, 0.12)
            g = epoch * STEPS_PER_EPOCH + step
            steps.append((epoch, step, g, max(0.02, loss), 1e-3))
        e = epoch + 1
        val_loss = 1.6 * math.exp(-e / 1.5) + 0.4 if kind == "falling" else 0.5 + 0.01 * e
        val_acc = min(0.95, 0.35 + 0.08 * e) if kind == "falling" else 0.9 + 0.005 * e
        val_loss, val_acc = val_loss * (1 + 0.1 * seed), val_acc - 0.03 * seed  # runs differ
        metrics.append([epoch, val_loss * 0.9, val_acc - 0.03, val_loss, val_acc, 1e-3, 1.0])
    return steps, metrics


def _write_run(workspace, name: str, kind: str, seed: int = 0):
    run = write_run(workspace, name, val_accs=tuple(0.5 for _ in range(EPOCHS)))
    steps, metrics = _losses(kind, seed)
    with open(run / "steps.csv", "w", newline="") as f:
        csv.writer(f).writerows([STEPS_HEADER, *steps])
    with open(run / "metrics.csv", "w", newline="") as f:
        csv.writer(f).writerows([METRICS_HEADER, *metrics])
    return run


def legend_outline(plot):
    """Where the plot's legend and every entry in it are, in scene coordinates."""
    legend = plot.getPlotItem().legend
    return legend.mapRectToScene(legend.boundingRect() | legend.childrenBoundingRect())


def hidden_data(plot) -> list[str]:
    """The plotted points under the plot's legend: each curve's points and, sampled, the
    lines between them, where they are drawn on screen (inside the data area)."""
    box = legend_outline(plot).adjusted(-MARKER_PX, -MARKER_PX, MARKER_PX, MARKER_PX)
    view = plot.getViewBox()
    area = view.sceneBoundingRect()
    hidden = []
    for item in plot.getPlotItem().listDataItems():
        x, y = curve_points(item)
        if not item.isVisible() or len(x) == 0:
            continue
        if len(x) > 1:
            dense = np.linspace(x[0], x[-1], 400)
            x, y = np.concatenate([x, dense]), np.concatenate([y, np.interp(dense, x, y)])
        for px, py in zip(x, y, strict=True):
            point = view.mapViewToScene(QPointF(float(px), float(py)))
            if area.contains(point) and box.contains(point):
                hidden.append(f"{item.name()} at ({px:.2f}, {py:.3f})")
                break
    return hidden


def _check_legends(qtbot, plots) -> None:
    for plot in (plots.loss_plot, plots.accuracy_plot):
        legend = plot.getPlotItem().legend
        qtbot.waitUntil(
            lambda legend=legend: legend.isVisible() and bool(legend.items), timeout=3000
        )
        qtbot.wait(300)  # the plots redraw on a timer
        assert hidden_data(plot) == [], plot.objectName()
        # Outside the data area altogether: points drawn later (a training run's next
        # epochs, a rescaled axis) cannot go under it either.
        data_area = plot.getViewBox().sceneBoundingRect()
        assert not legend_outline(plot).intersects(data_area), plot.objectName()
        # ... and the legend itself shows whole: every entry inside its plot.
        assert plot.getPlotItem().sceneBoundingRect().contains(legend_outline(plot))


@pytest.fixture
def styled(qapp):
    qapp.setStyleSheet(style_sheet())  # Loupe's fonts and padding, as the window has them
    yield
    qapp.setStyleSheet("")


SIZES = pytest.mark.parametrize("size", WINDOW_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


@SIZES
def test_the_runs_pages_legends_hide_no_curve(qtbot, tmp_path, styled, size):
    workspace = tmp_path / "workspace"
    falling = _write_run(workspace, "20261201-100000-falling-loupe_net", "falling")
    flat = _write_run(workspace, "20261201-110000-flat-loupe_net", "flat")
    compared = [
        _write_run(workspace, f"2026120{i + 2}-100000-demo-loupe_net", "falling", i)
        for i in range(4)
    ]
    window = make_window(qtbot, tmp_path)
    window.resize(*size)
    window.show_page(RUNS_PAGE)
    plots = window.runs_view.detail.plots
    for runs in ([falling], [flat], compared):
        window.runs_view.select_runs([str(run) for run in runs])
        assert len(plots.overlays) == (len(runs) if len(runs) > 1 else 0)
        _check_legends(qtbot, plots)
    window.close()


@SIZES
def test_the_train_pages_legends_hide_no_curve(qtbot, tmp_path, styled, size):
    window = make_window(qtbot, tmp_path)
    window.resize(*size)
    window.show_page(TRAIN_PAGE)
    plots = window.train_page.dashboard.plots
    for kind in ("falling", "flat"):
        steps, metrics = _losses(kind, 0)
        plots.set_history(
            [(g / STEPS_PER_EPOCH + 1 / STEPS_PER_EPOCH, loss, lr) for _, _, g, loss, lr in steps],
            [dict(zip(METRICS_HEADER, row, strict=True)) for row in metrics],
        )
        _check_legends(qtbot, plots)
    window.close()
