"""Result tiles are rendered once and blitted afterwards, and still show what changed."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage

from gui.classify.results_filter import ResultsFilterModel
from gui.classify.results_model import ResultsModel
from gui.classify.results_view import ResultsView
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
    return view, source, cache, results


def _thumbnail(color: str) -> QImage:
    image = QImage(128, 96, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(color))
    return image


def test_a_repaint_renders_no_tile_again_and_a_new_thumbnail_renders_only_its_tile(qtbot):
    view, source, cache, results = _view(qtbot)
    view.grab()
    tiles = view.delegate.tiles
    visible = len(view.visible_rows())
    assert visible > 4 and tiles.rendered >= visible
    before = tiles.rendered
    view.grab()
    assert tiles.rendered == before  # unchanged tiles are blitted
    shown = view.model().shown_results()[0]
    cache._store(shown.path, _thumbnail("#3060c0"))
    view.grab()
    assert tiles.rendered == before + 1
    cache.shutdown()


def test_cached_tiles_show_the_same_pixels_as_freshly_painted_ones(qtbot):
    view, source, cache, results = _view(qtbot)
    for r in results[::2]:
        cache._store(r.path, _thumbnail("#c05030"))
    view.grab()
    cached = view.grab().toImage()
    view.delegate.forget_tiles()
    fresh = view.grab().toImage()
    assert cached == fresh
    cache.shutdown()


def test_a_new_unsure_threshold_and_new_class_colours_reach_the_tiles(qtbot):
    view, source, cache, results = _view(qtbot)
    before = view.grab().toImage()
    source.set_unsure_threshold(0.99)  # nearly every tile gets the amber "unsure" frame
    after_threshold = view.grab().toImage()
    assert after_threshold != before
    view.set_class_names(["frog", "fish", "bird", "dog", "cat"])  # other dot colours
    assert view.grab().toImage() != after_threshold
    cache.shutdown()
