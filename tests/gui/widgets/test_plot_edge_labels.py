"""The plots keep the labels at their far ends: at 1280x720 the epoch axis lost its last
label ("2.0" of 2 epochs, "1.0" before a run) and the loss axis its top one, because pyqtgraph
hides a tick label that sticks out of its axis, and the view reached the widget's edge."""

from __future__ import annotations

from PySide6.QtGui import QImage, QPainter

from gui.demo.demo_data import demo_class_names, demo_epochs, demo_steps
from gui.widgets.metrics_plot import MetricsPlots

WIDTH = 378  # the plots' width in a 1280x720 window


def _labels(plot, side: str) -> dict[str, object]:
    """{text: rect in the plot widget's coordinates} of the tick labels pyqtgraph draws."""
    axis = plot.getPlotItem().getAxis(side)
    image = QImage(plot.size(), QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    _axis, _ticks, texts = specs
    return {text: axis.mapRectToScene(rect) for rect, _flags, text in texts}


def _plots(qtbot) -> MetricsPlots:
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.resize(WIDTH, 540)
    plots.show()
    qtbot.waitExposed(plots)
    return plots


def test_the_last_epoch_and_the_top_value_are_labelled_before_a_run(qtbot):
    plots = _plots(qtbot)
    bottom = _labels(plots.loss_plot, "bottom")
    assert "1.0" in bottom and bottom["1.0"].right() <= WIDTH
    assert "1.0" in _labels(plots.loss_plot, "left")
    assert "100" in _labels(plots.accuracy_plot, "left")


def test_the_last_epoch_of_a_run_is_labelled_and_its_points_are_inside(qtbot):
    plots = _plots(qtbot)
    names = demo_class_names(3)
    plots.set_planned_epochs(2)  # the review's tutorial run: ticks 0, 0.5 ... 2.0
    for step in demo_steps(epochs=2, steps_per_epoch=4):
        plots.add_step(step)
    for ev in demo_epochs(names, epochs=2):
        plots.add_epoch(ev)
    plots._redraw()
    for plot in (plots.loss_plot, plots.accuracy_plot, plots.lr_plot):
        bottom = _labels(plot, "bottom")
        assert "2.0" in bottom and bottom["2.0"].right() <= WIDTH, plot.objectName()
    dot = plots.curves["val_acc"].scatter.points()[-1]
    view = plots.accuracy_plot.getViewBox()
    centre = view.mapViewToScene(dot.pos()).x()
    edge = view.sceneBoundingRect().right()
    assert centre + dot.size() / 2 <= edge  # the last epoch's dot is whole
