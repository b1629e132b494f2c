"""gui.widgets.plot_legends: the loss and accuracy legends sit in a row above the data, as
many entries a line as the plot's width holds, and never change where the epochs are."""

from __future__ import annotations

import pytest

from gui.widgets.metrics_plot import MetricsPlots, _demo
from gui.widgets.plot_legends import ENTRY_GAP, columns_that_fit


def test_as_many_entries_a_line_as_fit():
    widths = [100, 150, 60]
    assert columns_that_fit(widths, 400) == 3  # 310 + two gaps
    assert columns_that_fit(widths, 300) == 2  # columns of 100 (and 60 below) and 150
    assert columns_that_fit(widths, 2 * ENTRY_GAP + 309) == 2
    assert columns_that_fit(widths, 200) == 1
    assert columns_that_fit([300], 100) == 1  # one entry a line, however long
    assert columns_that_fit([], 100) == 1


@pytest.fixture
def demo(qtbot) -> MetricsPlots:
    plots = _demo()  # a run's curves and an older run's, four names in the loss legend
    qtbot.addWidget(plots)
    plots.show()
    qtbot.waitExposed(plots)
    return plots


def _lines(plot) -> int:
    legend = plot.getPlotItem().legend
    return -(-len(legend.items) // legend.columnCount)


@pytest.mark.parametrize("width", [380, 600, 1000])
def test_legends_sit_above_the_data_within_its_width(qtbot, demo, width):
    demo.resize(width, 700)

    def above_the_data() -> None:
        assert demo.loss_plot.width() == width
        for plot in (demo.loss_plot, demo.accuracy_plot):
            legend = plot.getPlotItem().legend
            data = plot.getViewBox().sceneBoundingRect()
            outline = legend.mapRectToScene(legend.boundingRect() | legend.childrenBoundingRect())
            assert legend.isVisible() and outline.bottom() <= data.top(), plot.objectName()
            assert data.left() <= outline.left() and outline.right() <= data.right() + 1

    qtbot.waitUntil(above_the_data, timeout=3000)  # the layout settles in a few events


def test_a_narrow_plot_gets_more_lines_and_a_wide_one_a_single_line(qtbot, demo):
    demo.resize(1000, 700)
    qtbot.waitUntil(lambda: _lines(demo.loss_plot) == 1)
    wide_top = demo.loss_plot.getViewBox().sceneBoundingRect().top()
    demo.resize(380, 700)
    qtbot.waitUntil(lambda: _lines(demo.loss_plot) > 1)
    # The title row grew with the legend: the data starts lower, under the last line.
    qtbot.waitUntil(lambda: demo.loss_plot.getViewBox().sceneBoundingRect().top() > wide_top)


@pytest.mark.parametrize("width", [380, 1000])
def test_legends_leave_the_epochs_lined_up_across_the_plots(qtbot, demo, width):
    """pyqtgraph links the x ranges by pixel position: a legend must not make one plot's
    data narrower than the others', or epoch 5 would sit at different places."""
    demo.resize(width, 700)
    qtbot.waitUntil(lambda: demo.loss_plot.getViewBox().width() < width - 60)
    qtbot.wait(100)  # every plot laid out
    spans = {
        (round(r.left()), round(r.width()))
        for r in (plot.getViewBox().sceneBoundingRect() for plot in demo.plots())
    }
    assert len(spans) == 1, spans


def test_an_empty_legend_takes_no_room(qtbot, demo):
    legend = demo.accuracy_plot.getPlotItem().legend
    legend.clear()  # the Runs page takes the run's own curves out of it to compare runs
    assert not legend.isVisible()

    def data_at_the_top() -> bool:  # as in the learning-rate plot, which has no legend
        top = demo.accuracy_plot.getViewBox().sceneBoundingRect().top()
        return top == demo.lr_plot.getViewBox().sceneBoundingRect().top()

    qtbot.waitUntil(data_at_the_top, timeout=3000)


def test_markers_in_the_legend_have_their_curves_colours_before_any_point(qtbot):
    """pyqtgraph styles a curve's markers with its first points, and the legend above the
    data is not repainted then: it kept pyqtgraph's grey-blue default marker all run long."""
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.resize(600, 600)
    plots.show()
    qtbot.waitExposed(plots)
    for plot, curves in (
        (plots.loss_plot, ["val_loss"]),
        (plots.accuracy_plot, ["train_acc", "val_acc"]),
    ):
        image = plot.grab().toImage()
        legend = plot.getPlotItem().legend
        for name in curves:
            sample = next(s for s, _label in legend.items if s.item is plots.curves[name])
            centre = plot.mapFromScene(sample.sceneBoundingRect().center())
            colour = image.pixelColor(centre)
            expected = plots.curves[name].opts["symbolBrush"]
            assert (colour.red(), colour.green(), colour.blue()) == tuple(expected), name
