"""Live training curves: loss, accuracy and learning rate against (fractional) epochs.

Events can arrive hundreds of times a second; `add_*` only append to numpy buffers and a
~15 Hz timer pushes them to pyqtgraph, so the GUI thread never redraws per event. Only the
curves that changed are handed to pyqtgraph (the accuracy plot changes once an epoch, not at
every step), and each plot redraws in its own frame (gui.widgets.frame_pacer): maximised on
a 4K screen one plot's repaint is several ms of software rendering.
Accuracies are fractions (0..1) in the events and are drawn in percent."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.events import EpochEnded, StepEnded
from gui.widgets.accessible import describe
from gui.widgets.frame_pacer import shared_pacer
from gui.widgets.plot_axes import LearningRateAxis, epoch_plot
from gui.widgets.plot_curves import LR_COLOR, TRAIN_COLOR, VAL_COLOR, add_curve, line_pen
from gui.widgets.plot_legends import LegendRow
from gui.widgets.plot_ranges import steady_range
from gui.widgets.plot_series import Series, curve_points, number

pg.setConfigOptions(antialias=True, background="w", foreground="k")

REDRAW_INTERVAL_MS = 66  # ~15 Hz: smooth to the eye, cheap for long runs
EMA_BETA = 0.95  # loss smoothing; debiased, so the first steps are not pulled towards 0

LR_HEADROOM = 1.1  # the learning-rate axis runs from 0 to 110 % of the largest rate
# ... and a little below 0: pyqtgraph drops a tick label that would stick out of the plot,
# so 0 needs half a line of room to be labelled; a rate of 0 then stays off the axis line.
LR_FOOTROOM = 0.1
LOSS_LIMITS = (0.0, math.inf)  # y ranges stay inside these unless the data does not
ACCURACY_LIMITS = (0.0, 100.0)
# What a screen reader says for each plot: its name, and what it draws (then the last epoch's
# values, see _describe_last_epoch).
PLOT_WORDS = {
    "loss": (
        "Loss per epoch",
        "Training loss at every step, raw and smoothed, and validation loss after each epoch.",
    ),
    "accuracy": ("Accuracy per epoch", "Training and validation accuracy after each epoch."),
    "lr": ("Learning rate per epoch", "The learning rate at every step."),
}


def prefixed(prefix: str, name: str) -> str:
    """prefixed("run", "lossPlot") -> "runLossPlot"; no prefix keeps the name."""
    return f"{prefix}{name[0].upper()}{name[1:]}" if prefix else name


class MetricsPlots(QWidget):
    """Three stacked plots sharing the epoch axis: loss, accuracy, learning rate.

    `curves` maps a name to its PlotDataItem: train_loss_raw, train_loss_smooth, val_loss,
    train_acc, val_acc, lr. `overlays` maps a compared run's name to its (val loss, val acc)
    items."""

    def __init__(self, parent: QWidget | None = None, name_prefix: str = "") -> None:
        """`name_prefix` "run" names the plots runLossPlot, runAccuracyPlot, runLrPlot: a
        second instance in the window must not take the dashboard's automation names."""
        super().__init__(parent)
        self.loss_plot = epoch_plot(prefixed(name_prefix, "lossPlot"), "loss")
        self.accuracy_plot = epoch_plot(prefixed(name_prefix, "accuracyPlot"), "accuracy %")
        self.lr_plot = epoch_plot(
            prefixed(name_prefix, "lrPlot"), "learning rate", LearningRateAxis("left")
        )
        self.accuracy_plot.setXLink(self.loss_plot)
        self.lr_plot.setXLink(self.loss_plot)
        # One "epoch" caption under the bottom plot is enough; the space goes to the curves.
        self.loss_plot.setLabel("bottom", None)
        self.accuracy_plot.setLabel("bottom", None)
        # "x0.001" appended to the label would not fit the short plot; the ticks say "1e-4".
        self.lr_plot.getAxis("left").enableAutoSIPrefix(False)
        self.lr_plot.setMinimumHeight(130)
        self._describe_plots()

        # Legends in a line above the data, never on it (plot_legends).
        for plot in (self.loss_plot, self.accuracy_plot):
            LegendRow(plot)

        light_train = (*TRAIN_COLOR, 80)
        self.curves: dict[str, pg.PlotDataItem] = {
            "train_loss_raw": add_curve(
                self.loss_plot, "train loss (step)", line_pen(light_train, 1)
            ),
            "train_loss_smooth": add_curve(
                self.loss_plot, "train loss (smoothed)", line_pen(TRAIN_COLOR, 2.5)
            ),
            "val_loss": add_curve(
                self.loss_plot, "val loss", line_pen(VAL_COLOR), marker_color=VAL_COLOR
            ),
            "train_acc": add_curve(
                self.accuracy_plot, "train acc", line_pen(TRAIN_COLOR), marker_color=TRAIN_COLOR
            ),
            "val_acc": add_curve(
                self.accuracy_plot, "val acc", line_pen(VAL_COLOR), marker_color=VAL_COLOR
            ),
            "lr": add_curve(self.lr_plot, None, line_pen(LR_COLOR)),
        }
        self.overlays: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._series = {name: Series() for name in self.curves}
        self._plot_of = {  # which plot draws each curve
            "train_loss_raw": self.loss_plot,
            "train_loss_smooth": self.loss_plot,
            "val_loss": self.loss_plot,
            "train_acc": self.accuracy_plot,
            "val_acc": self.accuracy_plot,
            "lr": self.lr_plot,
        }
        self._ema_raw = 0.0
        self._ema_count = 0
        self._stale: set[str] = set()  # curves whose series changed since they were drawn
        self._stale_plots: set[str] = set()  # plots to refit even with no stale curve
        self._planned_epochs = 0  # the x axis spans them while a run trains
        self._y_ranges: dict[str, tuple[float, float]] = {}  # shown by _fit_y_range
        self._show_empty_ranges()

        # Stacked with equal widths: pyqtgraph links x ranges by pixel position, so plots of
        # different widths side by side would show different epoch ranges.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.loss_plot, 5)
        layout.addWidget(self.accuracy_plot, 4)
        layout.addWidget(self.lr_plot, 2)

        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()

    # -- live data --------------------------------------------------------------------------

    def add_step(self, ev: StepEnded) -> None:
        # The step's x is where it ends, so the last step of epoch 0 sits at 1.0 next to
        # the validation point of epoch 0.
        x = (ev.global_step + 1) / max(1, ev.steps_per_epoch)
        self._append_step(x, ev.loss, ev.lr)

    def add_epoch(self, ev: EpochEnded) -> None:
        self._append_epoch(ev.epoch + 1, ev.val_loss, ev.train_acc, ev.val_acc)

    def repaint_in_turns(self) -> None:
        """The plots are about to change all at once (a run starts: cleared, and shrunk by
        the run's notice lines on the first run): each repaints in its own frame, not all
        three in one (~40-50 ms of the GUI thread at 1600x1000, benchmarks/README.md)."""
        pacer = shared_pacer()
        for plot in self.plots():
            pacer.repaint_later(plot)

    def clear(self) -> None:
        """Forget the current run (overlays of other runs stay)."""
        for series in self._series.values():
            series.clear()
        self._ema_raw = 0.0
        self._ema_count = 0
        self._planned_epochs = 0
        self._stale.update(self.curves)
        self._show_empty_ranges()
        self._describe_plots()

    def _describe_plots(self) -> None:
        for key, plot in zip(PLOT_WORDS, self.plots(), strict=True):
            describe(plot, *PLOT_WORDS[key])

    def set_planned_epochs(self, epochs: int) -> None:
        """A run of `epochs` epochs started: the x axis spans all of them, so the curves grow
        from left to right instead of rescaling at every step."""
        epochs = max(0, int(epochs))
        if epochs and epochs != self._planned_epochs:
            # The x axes are linked: the new range repaints all three plots, each in its
            # own frame (in one, ~40-60 ms maximised on 4K when the run's plan arrived).
            self.repaint_in_turns()
        self._planned_epochs = epochs
        if self._planned_epochs:
            self.loss_plot.setXRange(0, self._planned_epochs, padding=0.02)

    def _has_data(self) -> bool:
        return any(series.size for series in self._series.values()) or bool(self.overlays)

    def _show_empty_ranges(self) -> None:
        """Without data pyqtgraph shows epoch -15…15 and accuracy 0…1 "%": show the ranges a
        run will fill instead."""
        self._y_ranges.clear()
        self.loss_plot.setXRange(0, max(1, self._planned_epochs), padding=0.02)
        self.loss_plot.setYRange(0, 1, padding=0.02)
        self.accuracy_plot.setYRange(0, 100, padding=0.02)
        self.lr_plot.setYRange(0, 1e-3, padding=0.02)

    def set_history(
        self, steps: Iterable[tuple[float, float, float]], epochs: Iterable[Mapping[str, Any]]
    ) -> None:
        """Show a finished run: steps are (epoch_float, loss, lr); epochs are metrics.csv rows
        (epoch 0-based, as in EpochEnded; accuracies as fractions)."""
        self.clear()
        for x, loss, lr in steps:
            self._append_step(float(x), float(loss), float(lr))
        has_steps = self._series["lr"].size > 0
        for row in epochs:
            x = number(row.get("epoch")) + 1
            if math.isnan(x):
                continue
            self._append_epoch(
                x,
                number(row.get("val_loss")),
                number(row.get("train_acc")),
                number(row.get("val_acc")),
            )
            if not has_steps:  # no per-step log: the per-epoch lr is the best we have
                self._series["lr"].append(x, number(row.get("lr")))
        self._redraw()

    def _append_step(self, x: float, loss: float, lr: float) -> None:
        raw = self._series["train_loss_raw"]
        if raw.size and x <= raw.x[-1]:  # resumed run: restart smoothing from scratch
            self._ema_raw, self._ema_count = 0.0, 0
        raw.append(x, loss)
        if math.isfinite(loss):
            self._ema_raw = EMA_BETA * self._ema_raw + (1 - EMA_BETA) * loss
            self._ema_count += 1
            self._series["train_loss_smooth"].append(
                x, self._ema_raw / (1 - EMA_BETA**self._ema_count)
            )
        self._series["lr"].append(x, lr)
        self._stale.update(("train_loss_raw", "train_loss_smooth", "lr"))

    def _append_epoch(self, x: float, val_loss: float, train_acc: float, val_acc: float) -> None:
        self._series["val_loss"].append(x, val_loss)
        self._series["train_acc"].append(x, 100.0 * train_acc)
        self._series["val_acc"].append(x, 100.0 * val_acc)
        self._stale.update(("val_loss", "train_acc", "val_acc"))
        self._describe_last_epoch(x, val_loss, train_acc, val_acc)

    def _describe_last_epoch(
        self, epoch: float, val_loss: float, train_acc: float, val_acc: float
    ) -> None:
        """The plots' accessible descriptions end with the values of the last epoch drawn."""
        last = f" Epoch {epoch:g}:"
        words = {
            self.loss_plot: ("loss", f"{last} validation loss {val_loss:.3g}."),
            self.accuracy_plot: (
                "accuracy",
                f"{last} training {train_acc * 100:.1f} %, validation {val_acc * 100:.1f} %.",
            ),
        }
        for plot, (key, values) in words.items():
            plot.setAccessibleDescription(PLOT_WORDS[key][1] + values)

    def plots(self) -> tuple[pg.PlotWidget, pg.PlotWidget, pg.PlotWidget]:
        return self.loss_plot, self.accuracy_plot, self.lr_plot

    def _stale_plot_names(self) -> list[str]:
        names = {self._plot_of[curve].objectName() for curve in self._stale} | self._stale_plots
        return [p.objectName() for p in self.plots() if p.objectName() in names]

    def _on_timer_timeout(self) -> None:
        pacer = shared_pacer()
        for name in self._stale_plot_names():
            pacer.request(self, lambda name=name: self._refresh(name), part=name)

    def _redraw(self) -> None:
        """Draw every plot now (a finished run's history, tests)."""
        pacer = shared_pacer()
        for plot in self.plots():
            pacer.cancel(self, plot.objectName())
            self._refresh(plot.objectName())

    def _refresh(self, plot_name: str) -> None:
        """Hand the plot's changed curves to pyqtgraph and fit its ranges: one plot's
        repaint per frame."""
        self._stale_plots.discard(plot_name)
        for name, curve in self.curves.items():
            if name in self._stale and self._plot_of[name].objectName() == plot_name:
                self._stale.discard(name)
                series = self._series[name]
                # connect="finite": a NaN (diverged step, missing csv value) leaves a gap.
                curve.setData(series.x.copy(), series.y.copy(), connect="finite")
        if not self._has_data():
            self._show_empty_ranges()
            return
        if plot_name == self.loss_plot.objectName():
            self._fit_y_range(self.loss_plot, LOSS_LIMITS)
            self._fit_x_range()
        elif plot_name == self.accuracy_plot.objectName():
            self._fit_y_range(self.accuracy_plot, ACCURACY_LIMITS)
        else:
            self._fit_lr_range()

    def _fit_x_range(self) -> None:
        """The planned epochs while a run trains, else every epoch of every curve. Never
        pyqtgraph's x auto-range: the curves clip to the view, so it measures only what is
        already in view and a finished run's curves stayed cut at the range first shown."""
        last_x = max((float(s.x[-1]) for s in self._series.values() if s.size), default=0.0)
        for loss_item, _ in self.overlays.values():
            if loss_item.xData is not None and len(loss_item.xData):
                last_x = max(last_x, float(loss_item.xData[-1]))
        end = (
            self._planned_epochs
            if self._planned_epochs and last_x <= self._planned_epochs
            else last_x
        )
        self.loss_plot.setXRange(0, max(1.0, end), padding=0.02)

    def _fit_y_range(self, plot: pg.PlotWidget, limits: tuple[float, float]) -> None:
        """Every point of every visible curve in view, on a range that changes only when the
        data leaves it (see plot_ranges): a new range re-renders the axis and its grid."""
        lows, highs = [], []
        for item in plot.getPlotItem().listDataItems():
            _, y = curve_points(item)
            if item.isVisible() and len(y):
                lows.append(float(y.min()))
                highs.append(float(y.max()))
        if not lows:
            return
        name = plot.objectName()
        shown = steady_range(min(lows), max(highs), self._y_ranges.get(name), limits)
        if shown != self._y_ranges.get(name):
            self._y_ranges[name] = shown
            plot.setYRange(*shown, padding=0.02)

    def _fit_lr_range(self) -> None:
        """0 .. 110 % of the largest rate: a constant rate is a flat line near the top, not a
        line at "0" on an axis autoscaled to +-0.5."""
        lr = self._series["lr"].y
        lr = lr[np.isfinite(lr)]
        top = float(lr.max()) if len(lr) else 0.0
        if top > 0:
            self.lr_plot.setYRange(-top * LR_FOOTROOM, top * LR_HEADROOM, padding=0)
        else:
            self.lr_plot.enableAutoRange(axis="y")

    # -- comparing runs ---------------------------------------------------------------------

    def add_overlay(self, name: str, epochs: Iterable[Mapping[str, Any]], color: Any) -> None:
        """Draw another run's val loss and val acc (metrics.csv rows) dashed, for comparison,
        named `name` in both legends: the axes say which is loss and which accuracy, and a
        short name keeps several runs' legend to a line or two above the data."""
        self.remove_overlay(name)
        rows = list(epochs)
        x = np.array([number(r.get("epoch")) + 1 for r in rows])
        val_loss = np.array([number(r.get("val_loss")) for r in rows])
        val_acc = 100.0 * np.array([number(r.get("val_acc")) for r in rows])
        pen = line_pen(color, 2, dashed=True)
        loss_item = add_curve(self.loss_plot, name, pen)
        acc_item = add_curve(self.accuracy_plot, name, pen)
        loss_item.setData(x, val_loss, connect="finite")
        acc_item.setData(x, val_acc, connect="finite")
        self.overlays[name] = (loss_item, acc_item)
        self._stale_plots.update((self.loss_plot.objectName(), self.accuracy_plot.objectName()))

    def remove_overlay(self, name: str) -> None:
        items = self.overlays.pop(name, None)
        if items:
            self.loss_plot.removeItem(items[0])  # also drops it from the legend
            self.accuracy_plot.removeItem(items[1])
            # the y ranges may shrink
            self._stale_plots.update((self.loss_plot.objectName(), self.accuracy_plot.objectName()))

    def clear_overlays(self) -> None:
        for name in list(self.overlays):
            self.remove_overlay(name)


def _demo() -> MetricsPlots:
    from gui.demo.demo_data import demo_class_names, demo_epochs, demo_steps

    plots = MetricsPlots()
    names = demo_class_names(5)
    for ev in demo_steps(epochs=8, steps_per_epoch=50):
        plots.add_step(ev)
    for ev in demo_epochs(names, epochs=8):
        plots.add_epoch(ev)
    older = [
        {"epoch": e.epoch, "val_loss": e.val_loss * 1.15, "val_acc": e.val_acc * 0.92}
        for e in demo_epochs(names, epochs=8, seed=3)
    ]
    plots.add_overlay("run 2024-05-01", older, (120, 60, 170))
    plots.resize(800, 700)
    return plots


if __name__ == "__main__":
    from gui.demo.demo_app import run_demo

    run_demo(_demo, "MetricsPlots demo")
