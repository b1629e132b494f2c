"""Result tiles are rendered once and blitted afterwards, and still show what changed."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QRegion

from gui.classify.results_filter import ResultsFilterModel
from gui.classify.results_model import ResultsModel
from gui.classify.results_view import ResultsView
from gui.widgets.frame_pacer import shared_pacer
from gui.widgets.thumbnail_cache import ThumbnailCache
from tests.gui.classify.test_results_model import fake_results


def _view(qtbot, count: int = 40):
    cache = ThumbnailCache()
    source = ResultsModel(cache)
    proxy = ResultsFilterModel(source)
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    results = fake_results(count, seed=3)
    source.append_results(results)
    shared_pacer().flush()  # a batch of results repaints the grid in its own frame
    return view, source, cache, results


def _settled(view: ResultsView) -> QImage:
    """The view once every visible tile is rendered (a frame renders only so many)."""
    shared_pacer().flush()
    image = view.grab().toImage()
    for _ in range(200):
        if view.delegate.tiles.deferred.isNull():
            return image
        image = view.grab().toImage()
    raise AssertionError("tiles still deferred after 200 frames")


def _thumbnail(color: str) -> QImage:
    image = QImage(128, 96, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(color))
    return image


def test_a_repaint_renders_no_tile_again_and_a_new_thumbnail_renders_none(qtbot):
    view, source, cache, results = _view(qtbot)
    before_thumbnail = _settled(view)
    tiles = view.delegate.tiles
    visible = len(view.visible_rows())
    assert visible > 4 and tiles.rendered >= visible
    rendered = tiles.rendered
    assert view.grab().toImage() == before_thumbnail
    assert tiles.rendered == rendered  # unchanged tiles are blitted
    shown = view.model().shown_results()[0]
    cache._store(shown.path, _thumbnail("#3060c0"))
    with_thumbnail = view.grab().toImage()
    assert with_thumbnail != before_thumbnail  # the thumbnail is there...
    assert tiles.rendered == rendered and tiles.updated == 1  # ...drawn over the cached tile
    # ...and the tile looks exactly as one rendered from scratch with its thumbnail.
    view.delegate.forget_tiles()
    view.delegate.tiles.frame_budget_s = 10.0
    assert view.grab().toImage() == with_thumbnail
    cache.shutdown()


def test_a_frame_renders_only_so_many_tiles_and_the_next_frames_the_rest(qtbot):
    view, source, cache, results = _view(qtbot)
    view.delegate.tiles.frame_budget_s = 0.0  # one tile per frame
    view.grab()
    assert view.delegate.tiles.rendered == 1 and not view.delegate.tiles.deferred.isNull()
    visible = len(view.visible_rows())
    qtbot.waitUntil(lambda: view.delegate.tiles.rendered >= visible, timeout=10000)
    qtbot.waitUntil(lambda: not shared_pacer().is_pending(view))
    rendered = view.delegate.tiles.rendered
    view.grab()
    assert view.delegate.tiles.rendered == rendered  # every tile was there for the repaint
    assert view.delegate.tiles.deferred.isNull()
    cache.shutdown()


def test_a_frame_repaints_only_the_tiles_it_rendered_not_every_waiting_one(qtbot):
    # 200 blank cards waiting: repainting them all at each turn cost ~11 ms a frame at 4K.
    view, source, cache, results = _view(qtbot)
    view.delegate.tiles.frame_budget_s = 0.0  # one tile per frame
    view.grab()
    waiting = view._unrendered.rectCount()
    assert waiting > 10
    painted = []
    view.viewport().update = lambda region: painted.append(QRegion(region))
    view._on_pacer_turn()
    assert len(painted) == 1 and painted[0].rectCount() == 1  # the one tile it rendered
    assert view._unrendered.rectCount() == waiting - 1
    cache.shutdown()


def test_cached_tiles_show_the_same_pixels_as_freshly_painted_ones(qtbot):
    view, source, cache, results = _view(qtbot)
    for r in results[::2]:
        cache._store(r.path, _thumbnail("#c05030"))
    cached = _settled(view)
    view.delegate.forget_tiles()
    view.delegate.tiles.frame_budget_s = 10.0  # every tile rendered in this one frame
    fresh = view.grab().toImage()
    assert cached == fresh
    cache.shutdown()


def test_a_new_unsure_threshold_and_new_class_colours_reach_the_tiles(qtbot):
    view, source, cache, results = _view(qtbot)
    before = _settled(view)
    source.set_unsure_threshold(0.99)  # nearly every tile gets the amber "unsure" frame
    after_threshold = _settled(view)
    assert after_threshold != before
    view.set_class_names(["frog", "fish", "bird", "dog", "cat"])  # other dot colours
    assert _settled(view) != after_threshold
    cache.shutdown()


def test_finished_thumbnails_repaint_their_own_rows_not_the_whole_grid(qtbot):
    view, source, cache, results = _view(qtbot)
    changed = []
    view.model().dataChanged.connect(lambda a, b, _roles: changed.append((a.row(), b.row())))
    for row in (2, 30):  # far apart in arrival order
        source._on_thumbnails_ready(results[row].path)
    # (Painting also queues decodes of the visible tiles: unreadable here, also announced.)
    qtbot.waitUntil(lambda: len(changed) >= 2, timeout=5000)
    assert all(first == last for first, last in changed)  # one tile each, not a range
    cache.shutdown()


def test_batches_that_arrive_together_repaint_the_grid_once_in_its_own_frame(
    qtbot, qapp, monkeypatch
):
    from PySide6.QtCore import QEvent, QObject

    from gui.widgets import frame_pacer

    view, source, cache, results = _view(qtbot, count=30)
    _settled(view)
    manual = frame_pacer.FramePacer(interval_ms=10**8, parent=qapp)  # frames when we say
    monkeypatch.setattr(frame_pacer, "_shared", manual)
    paints = []

    class Count(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint:
                paints.append(event.region().boundingRect())
            return False

    counter = Count()
    view.viewport().installEventFilter(counter)
    more = fake_results(60, seed=9)
    source.append_results(more[:30])
    source.append_results(more[30:])
    qtbot.wait(50)
    assert paints == [] and not view.updatesEnabled()  # not inside the batches' events
    assert len(manual._queue) == 1  # one repaint for both batches, in the next frame
    manual._on_timer_timeout()
    assert view.updatesEnabled() and view.model().rowCount() == 90
    cache.shutdown()


def test_the_grid_paints_exactly_the_tiles_in_view_after_a_scroll(qtbot):
    view, source, cache, results = _view(qtbot, count=400)
    _settled(view)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    area = view.viewport().rect()
    tiles = view._tiles_in(area)
    model = view.model()
    seen = [
        (r, view.visualRect(model.index(r, 0)))
        for r in range(model.rowCount())
        if view.visualRect(model.index(r, 0)).intersects(area)
    ]
    assert tiles == seen and tiles[0][0] > 0  # the rows and where QListView puts them
    top = view.viewport().rect().adjusted(0, 0, 0, -view.viewport().height() // 2)
    assert [row for row, _ in view._tiles_in(top)][0] == tiles[0][0]
    # A strip through the middle of the second line of tiles: that line only.
    second = tiles[0][1].translated(0, view.gridSize().height())
    strip = QRect(0, second.center().y(), view.viewport().width(), 2)
    columns = sum(1 for _, rect in tiles if rect.top() == tiles[0][1].top())
    assert [row for row, _ in view._tiles_in(strip)] == [
        tiles[0][0] + columns + c for c in range(columns)
    ]
    cache.shutdown()
