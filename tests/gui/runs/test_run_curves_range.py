"""The Runs page shows every epoch of a run's curves."""

from __future__ import annotations

from tests.gui.runs.runs_helpers import write_run


def test_a_stopped_runs_curves_are_shown_to_their_last_epoch(view, qtbot, tmp_path):
    # A run stopped at 6 of 25 epochs showed epochs 0.2-2.1 only: pyqtgraph's x auto-range
    # measured curves that clip themselves to the view.
    run = write_run(
        tmp_path, "stopped", status="cancelled", val_accs=(0.4, 0.7, 0.8, 0.9, 0.9, 0.95), epochs=25
    )
    view.set_workspace(str(tmp_path))
    view.show()
    view.select_runs([str(run)])
    plots = _metrics_plots(view)

    def shown_to_the_last_epoch():
        for plot in (plots.loss_plot, plots.accuracy_plot, plots.lr_plot):
            low, high = plot.getViewBox().viewRange()[0]
            assert low <= 0.5 and 6.0 <= high < 7.0, (plot.objectName(), low, high)

    # the plots redraw on a timer: wait for it, however slow the machine
    qtbot.waitUntil(shown_to_the_last_epoch, timeout=5000)


def _metrics_plots(view):
    from gui.widgets.metrics_plot import MetricsPlots

    return view.findChildren(MetricsPlots)[0]
