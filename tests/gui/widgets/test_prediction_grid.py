"""PredictionGrid: tiles, filters, colours and sizes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics

from gui.demo.demo_data import (
    demo_class_names,
    demo_image,
    demo_predictions,
)
from gui.widgets.prediction_grid import PredictionGrid
from gui.widgets.prediction_model import (
    MAX_TEXT_WIDTH,
    RIGHT_COLOR,
    WRONG_COLOR,
    CorrectRole,
    SampleRole,
    numpy_to_qimage,
    tile_color,
    tile_is_correct,
)

NAMES = demo_class_names(5)


# -- prediction grid --------------------------------------------------------------------------


@pytest.fixture
def grid(qtbot):
    widget = PredictionGrid()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    return widget


def test_grid_shows_one_tile_per_sample(grid):
    assert grid.objectName() == "predictionGrid"
    grid.set_predictions(demo_predictions(NAMES, count=30))
    assert grid.model().rowCount() == 30
    grid.set_predictions(demo_predictions(NAMES, count=12))
    assert grid.model().rowCount() == 12


def test_grid_filters_by_confusion_cell_and_mistakes(qtbot, grid):
    ev = demo_predictions(NAMES, epoch=0, count=60)
    grid.set_predictions(ev)
    wrong = [s for s in ev.samples if s.true_index != s.pred_index]
    true, pred = wrong[0].true_index, wrong[0].pred_index
    expected = sum(s.true_index == true and s.pred_index == pred for s in ev.samples)
    with qtbot.waitSignal(grid.filterChanged) as blocker:
        grid.set_filter(true, pred)
    assert grid.model().rowCount() == expected
    assert f"{expected} of 60" in blocker.args[0]
    assert NAMES[true] in blocker.args[0] and NAMES[pred] in blocker.args[0]
    shown = [grid.model().index(r, 0).data(SampleRole) for r in range(grid.model().rowCount())]
    assert all((s.true_index, s.pred_index) == (true, pred) for s in shown)

    grid.set_filter(None, None)
    grid.set_only_mistakes(True)
    assert grid.model().rowCount() == len(wrong)
    grid.set_filter(true, None)  # mistakes of one true class
    assert grid.model().rowCount() == sum(s.true_index == true for s in wrong)
    grid.clear_filter()
    assert grid.model().rowCount() == 60
    assert grid.filter_description() == "All 60 sampled images"


def test_filter_survives_a_new_epoch(grid):
    grid.set_predictions(demo_predictions(NAMES, epoch=0, count=40))
    grid.set_only_mistakes(True)
    ev = demo_predictions(NAMES, epoch=5, count=40)
    grid.set_predictions(ev)
    assert grid.model().rowCount() == sum(not tile_is_correct(s) for s in ev.samples)


def test_tile_colour_says_right_or_wrong(grid):
    ev = demo_predictions(NAMES, count=40)
    grid.set_predictions(ev)
    for row, sample in enumerate(ev.samples):
        index = grid.model().index(row, 0)
        correct = sample.true_index == sample.pred_index
        assert tile_is_correct(sample) == correct == index.data(CorrectRole)
    assert tile_color(True) == RIGHT_COLOR and tile_color(False) == WRONG_COLOR
    assert RIGHT_COLOR.green() > RIGHT_COLOR.red() and WRONG_COLOR.red() > WRONG_COLOR.green()


def test_numpy_image_is_copied_into_the_qimage():
    array = demo_image(2, 3, size=32)
    image = numpy_to_qimage(array)
    before = QColor(image.pixel(0, 0))
    array[:] = 0  # the sender may reuse its buffer
    assert QColor(image.pixel(0, 0)) == before
    assert (image.width(), image.height()) == (array.shape[1], array.shape[0])
    assert not numpy_to_qimage(np.zeros((8, 5), np.uint8)).isNull()  # grey works too


def test_click_selects_and_double_click_activates_the_sample(qtbot, grid):
    ev = demo_predictions(NAMES, count=10)
    grid.set_predictions(ev)
    grid.show()
    qtbot.waitExposed(grid)
    rect = grid.visualRect(grid.model().index(3, 0))
    # A real double-click starts with a press: the view ignores a lone double-click event.
    with qtbot.waitSignal(grid.sampleSelected):
        qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(grid.sampleActivated) as blocker:
        qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0] is ev.samples[3]


def test_scroll_position_is_kept_when_an_epoch_arrives(qtbot, grid):
    grid.set_predictions(demo_predictions(NAMES, epoch=0, count=120))
    grid.show()
    qtbot.waitExposed(grid)
    bar = grid.verticalScrollBar()
    assert bar.maximum() > 200
    bar.setValue(200)
    grid.set_predictions(demo_predictions(NAMES, epoch=1, count=120))
    assert bar.value() == 200
    grid.set_predictions(demo_predictions(NAMES, epoch=2, count=100))  # other size: reset path
    assert bar.value() == 200


FASHION = [
    "T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot",
]  # fmt: skip


def _tile_texts_fit(grid) -> bool:
    """Every predicted name plus "100%" fits a tile without eliding."""
    bold = QFont(grid.font())
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    tile = grid.visualRect(grid.model().index(0, 0)).width()
    need = max(metrics.horizontalAdvance(n) for n in FASHION) + metrics.horizontalAdvance("100%")
    return need < tile - 12


def test_tiles_are_wide_enough_for_ten_long_class_names(qtbot, grid):
    grid.resize(430, 500)
    grid.set_predictions(demo_predictions(FASHION, count=30))
    grid.show()
    qtbot.waitExposed(grid)
    assert _tile_texts_fit(grid)
    # The tiles share the row: no empty strip on the right.
    rects = [grid.visualRect(grid.model().index(r, 0)) for r in range(4)]
    in_first_row = [r for r in rects if r.top() == rects[0].top()]
    assert len(in_first_row) >= 2
    assert grid.viewport().width() - in_first_row[-1].right() < rects[0].width() // 2


def test_a_very_long_class_name_is_capped_and_in_the_tooltip(qtbot, grid):
    names = [*FASHION[:9], "great_crested_grebe_in_winter_plumage"]
    ev = demo_predictions(names, count=40)
    grid.set_predictions(ev)
    assert grid.delegate.min_width <= MAX_TEXT_WIDTH + 20
    row = next(i for i, s in enumerate(ev.samples) if s.pred_index == 9)
    tooltip = grid.model().index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "great_crested_grebe_in_winter_plumage" in tooltip
    assert names[ev.samples[row].true_index] in tooltip


def test_tiles_widen_with_the_view(qtbot, grid):
    grid.set_predictions(demo_predictions(NAMES, count=20))
    grid.resize(300, 400)
    grid.show()
    qtbot.waitExposed(grid)
    narrow = grid.visualRect(grid.model().index(0, 0)).width()
    grid.resize(330, 400)  # not room for another column: the tiles take the space
    qtbot.waitUntil(lambda: grid.visualRect(grid.model().index(0, 0)).width() > narrow)
