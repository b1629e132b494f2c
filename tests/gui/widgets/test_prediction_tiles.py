"""Prediction tiles are drawn again only when what they show changed."""

from __future__ import annotations

import dataclasses

from PySide6.QtGui import QImage

from gui.demo.demo_data import demo_class_names, demo_predictions
from gui.widgets.prediction_grid import PredictionGrid

NAMES = demo_class_names(5)


def _settled(grid: PredictionGrid) -> QImage:
    """The grid once every visible tile is rendered (a frame renders only so many)."""
    for _ in range(200):
        image = grid.grab().toImage()
        if grid.delegate.tiles.deferred.isNull():
            return image
    raise AssertionError("tiles still deferred after 200 frames")


def test_an_epoch_with_the_same_predictions_draws_no_tile_again(qtbot):
    grid = PredictionGrid()
    qtbot.addWidget(grid)
    grid.resize(700, 500)
    grid.show()
    qtbot.waitExposed(grid)
    first = demo_predictions(NAMES, epoch=1, count=12)
    grid.set_predictions(first)
    before = _settled(grid)
    tiles = grid.delegate.tiles
    rendered = tiles.rendered
    assert rendered >= 6  # the visible tiles

    # Next epoch: the same images and predictions (new arrays, equal pixels).
    same = [dataclasses.replace(s, image=s.image.copy()) for s in first.samples]
    grid.set_predictions(dataclasses.replace(first, epoch=2, samples=same))
    assert _settled(grid) == before
    assert tiles.rendered == rendered

    # One tile's prediction changed: that tile, and only it, is drawn again.
    changed = list(same)
    wrong = (changed[0].true_index + 1) % len(NAMES)
    changed[0] = dataclasses.replace(changed[0], pred_index=wrong)
    grid.set_predictions(dataclasses.replace(first, epoch=3, samples=changed))
    assert _settled(grid) != before
    assert tiles.rendered == rendered + 1
