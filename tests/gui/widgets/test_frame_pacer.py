"""Live views take turns: one view repaints per frame, so an epoch's end (new curves, a new
matrix, new prediction tiles) is several short frames instead of one long stall."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QPainter, QPixmap, QRegion
from PySide6.QtWidgets import QApplication, QWidget

from gui.demo.demo_data import demo_class_names, demo_epochs, demo_predictions, demo_steps
from gui.widgets import frame_pacer
from gui.widgets.frame_pacer import FramePacer
from gui.widgets.tile_cache import TileCache

NAMES = demo_class_names(4)


@pytest.fixture
def pacer(qapp, monkeypatch):
    """The window's pacer, with frames only when the test says so."""
    manual = FramePacer(interval_ms=10**8, parent=qapp)
    monkeypatch.setattr(frame_pacer, "_shared", manual)
    return manual


def test_one_refresh_per_frame_newest_first_kept_and_more_to_draw_comes_back(qtbot, pacer):
    a, b = QObject(), QObject()
    ran = []
    pacer.request(a, lambda: ran.append("a1"))
    pacer.request(b, lambda: ran.append("b"))
    pacer.request(a, lambda: ran.append("a2"))  # replaces a1, keeps a's place
    pacer._on_timer_timeout()
    assert ran == ["a2"]
    left = [2]

    def more() -> bool:
        left[0] -= 1
        ran.append("c")
        return left[0] > 0  # still tiles to draw

    c = QObject()
    pacer.request(c, more)
    pacer._on_timer_timeout()
    assert ran == ["a2", "b"]
    pacer.flush()
    assert ran == ["a2", "b", "c", "c"] and not pacer.is_pending(c)


def test_a_deleted_view_is_skipped(qtbot, pacer):
    widget = QWidget()
    ran = []
    pacer.request(widget, lambda: ran.append(widget.objectName()))
    widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    pacer.flush()
    assert ran == []


class PaintLog(QObject):
    """Which of the watched widgets got a paint event."""

    def __init__(self, widgets: dict[str, QWidget]) -> None:
        super().__init__()
        self.painted: set[str] = set()
        self._names = {}
        for name, widget in widgets.items():
            self._names[widget] = name
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted.add(self._names[watched])
        return False

    def frame(self) -> set[str]:
        """Process what is queued (one turn of the event loop); the views painted in it."""
        self.painted = set()
        QApplication.sendPostedEvents()
        QApplication.processEvents()
        return self.painted


def test_an_epoch_end_repaints_one_live_view_per_frame(qtbot, pacer):
    from gui.train.training_dashboard import TrainingDashboard

    dash = TrainingDashboard()
    qtbot.addWidget(dash)
    dash.resize(1400, 900)
    dash.show()
    qtbot.waitExposed(dash)
    dash.plots._timer.stop()  # its ticks come from the test
    dash.start_run()
    dash.plots.set_planned_epochs(3)
    dash._class_names = NAMES
    epochs = demo_epochs(NAMES, epochs=2)
    for ev in demo_steps(epochs=1, steps_per_epoch=20):
        dash.on_event(ev)
    dash.on_event(epochs[0])
    dash.on_event(demo_predictions(NAMES, epoch=0, count=24))
    dash.plots._on_timer_timeout()
    for _ in range(3):  # the first epoch also lays out the captions
        pacer.flush()
        QApplication.processEvents()
    views = {
        "loss": dash.plots.loss_plot.viewport(),
        "accuracy": dash.plots.accuracy_plot.viewport(),
        "matrix": dash.matrix.table.viewport(),
        "grid": dash.grid.viewport(),
    }
    log = PaintLog(views)
    log.frame()

    dash.on_event(epochs[1])
    dash.on_event(demo_predictions(NAMES, epoch=1, count=24))
    dash.plots._on_timer_timeout()
    assert dash.matrix.model().rowCount() == len(NAMES)  # the data is there at once...
    assert log.frame() == set()  # ...the repaints wait for their turns
    frames = []
    while pacer._queue:
        pacer._on_timer_timeout()
        frames.append(log.frame())
    assert all(len(painted) <= 1 for painted in frames), frames
    assert set().union(*frames) == set(views)


def _shown_plots(qtbot, width: int, height: int):
    """Live training plots on screen, their redraw timer stopped (the test ticks)."""
    from gui.widgets.metrics_plot import MetricsPlots

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.resize(width, height)
    plots.show()
    qtbot.waitExposed(plots)
    plots._timer.stop()
    return plots


def test_a_training_step_repaints_the_loss_plot_but_not_the_accuracy_plot(qtbot, pacer):
    plots = _shown_plots(qtbot, 700, 700)
    plots.set_planned_epochs(2)  # as a run does: the epoch axis stays put
    steps = demo_steps(epochs=2, steps_per_epoch=20)
    for ev in steps[:20]:
        plots.add_step(ev)
    plots.add_epoch(demo_epochs(NAMES, epochs=1)[0])
    plots._on_timer_timeout()
    pacer.flush()
    log = PaintLog({"loss": plots.loss_plot.viewport(), "acc": plots.accuracy_plot.viewport()})
    log.frame()
    painted = set()
    for ev in steps[20:25]:
        plots.add_step(ev)
        plots._on_timer_timeout()
        pacer.flush()
        painted |= log.frame()
    assert painted == {"loss"}  # accuracy only changes at an epoch's end


def test_tiles_left_for_the_next_frame_are_repainted_alone_not_their_bounding_rect(qapp):
    tiles = TileCache(frame_budget_s=0.0)  # one new tile per frame
    target = QPixmap(400, 400)
    painter = QPainter(target)
    tiles.start_frame()
    for x, y in ((0, 0), (0, 300), (300, 0)):
        tiles.paint(painter, QRect(x, y, 100, 100), (x, y), lambda p: p.fillRect(0, 0, 9, 9, 0))
    painter.end()
    assert tiles.rendered == 1
    assert tiles.deferred.contains(QRect(0, 300, 100, 100))
    assert tiles.deferred.contains(QRect(300, 0, 100, 100))
    assert not tiles.deferred.intersects(QRect(150, 150, 100, 100))  # between them


def test_thumbnails_arriving_together_are_drawn_in_over_several_frames(qapp):
    # A classified folder's thumbnails arrive by the dozen: each is drawn over its tile
    # within the frame's budget, and meanwhile the tile shows its placeholder version.
    tiles = TileCache(frame_budget_s=0.0)  # one new or updated tile per frame
    target = QPixmap(400, 100)
    places = [QRect(x, 0, 100, 100) for x in (0, 100, 200, 300)]
    painter = QPainter(target)
    for rect in places:  # every tile without its thumbnail, a frame each
        tiles.start_frame()
        tiles.paint(painter, rect, ("card", rect.x(), None), lambda p: None, family=rect.x())
    drawn = []

    def arrived(p: QPainter) -> None:
        drawn.append(p)

    tiles.start_frame()
    for rect in places:  # all four thumbnails have arrived
        shown = tiles.paint(
            painter, rect, ("card", rect.x(), "thumb"), lambda p: None, rect.x(), arrived
        )
        assert shown  # the placeholder version stands in for the three that wait
    painter.end()
    assert len(drawn) == 1 and tiles.updated == 1
    assert tiles.deferred == QRegion(QRect(100, 0, 300, 100))  # the other three, next frame


def test_a_prediction_tile_waiting_for_its_turn_shows_last_epochs_tile(qtbot):
    from gui.widgets.prediction_grid import PredictionGrid

    grid = PredictionGrid()
    qtbot.addWidget(grid)
    grid.resize(700, 500)
    grid.show()
    qtbot.waitExposed(grid)
    first = demo_predictions(NAMES, epoch=1, count=12)
    grid.set_predictions(first)
    for _ in range(100):
        before = grid.grab().toImage()
        if grid.delegate.tiles.deferred.isNull():
            break
    blank = PredictionGrid()
    qtbot.addWidget(blank)
    blank.resize(700, 500)
    blank.set_predictions(first)
    blank.delegate.tiles.frame_budget_s = 0.0

    # Every prediction changes; a frame renders one new tile, the others stand in.
    grid.delegate.tiles.frame_budget_s = 0.0
    later = demo_predictions(NAMES, epoch=7, count=12)
    rendered = grid.delegate.tiles.rendered
    grid.set_predictions(later)
    during = grid.grab().toImage()
    assert grid.delegate.tiles.rendered == rendered + 1
    assert during != blank.grab().toImage()  # not empty cards: the old tiles
    assert not grid.delegate.tiles.deferred.isNull()
    qtbot.waitUntil(lambda: grid.delegate.tiles.deferred.isNull(), timeout=10000)
    assert grid.grab().toImage() != before


def test_pressing_train_repaints_the_three_plots_one_per_frame(qtbot, pacer):
    """Pressing Train clears the plots and, on the first run, shows the run's lines above
    them (the plots shrink): all three repainted in one frame of ~50 ms at 1600x1000."""
    from gui.train.training_dashboard import TrainingDashboard

    dash = TrainingDashboard()
    qtbot.addWidget(dash)
    dash.resize(1400, 900)
    dash.show()
    qtbot.waitExposed(dash)
    dash.plots._timer.stop()
    plots = dash.plots.plots()
    before = [plot.height() for plot in plots]
    views = {plot.objectName(): plot.viewport() for plot in plots}
    log = PaintLog(views)
    log.frame()

    dash.start_run("Training on /data/shapes → /runs/r1")
    assert log.frame() == set()  # the press itself repaints no plot...
    assert [plot.height() for plot in plots] != before  # ...though they shrank in it
    frames = []
    while pacer._queue:
        pacer._on_timer_timeout()
        frames.append(log.frame())
    assert all(len(painted) <= 1 for painted in frames), frames
    assert set().union(*frames) == set(views)  # each in its turn


def test_a_runs_plan_repaints_the_three_linked_plots_one_per_frame(qtbot, pacer):
    """The plan (how many epochs) sets the epoch axis, which the three plots share: they
    repainted in one frame of 40-60 ms maximised on a 4K screen."""
    plots = _shown_plots(qtbot, 900, 700)
    views = {plot.objectName(): plot.viewport() for plot in plots.plots()}
    log = PaintLog(views)
    log.frame()

    plots.set_planned_epochs(12)
    assert log.frame() == set()
    frames = []
    while pacer._queue:
        pacer._on_timer_timeout()
        frames.append(log.frame())
    assert all(len(painted) <= 1 for painted in frames), frames
    assert set().union(*frames) == set(views)
    for plot in plots.plots():
        assert plot.getViewBox().viewRange()[0][1] >= 12  # every epoch axis spans the run
