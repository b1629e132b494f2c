"""resources/style.qss shows where the keyboard focus is: a 2 px frame in the accent colour
(dark on the blue primary button) around the focused button, field, list, table, tab or
page entry, and nothing moves when the focus arrives. Before, a focused list or the page
list looked exactly as an unfocused one, and a field only changed the colour of its 1 px
border."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QLineEdit,
    QListView,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTabBar,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

STYLE = Path(__file__).resolve().parents[2] / "resources" / "style.qss"
ACCENT = QColor("#2F6FDE")
DARK = QColor("#1F2933")


def _near(image: QImage, colour: QColor) -> int:
    """Pixels of `image` within a small distance of `colour` (antialiased corners aside)."""
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - colour.red())
                + abs(c.green() - colour.green())
                + abs(c.blue() - colour.blue())
                < 40
            ):
                count += 1
    return count


def _button(parent: QWidget) -> QWidget:
    return QPushButton("Browse…", parent)


def _primary(parent: QWidget) -> QWidget:
    button = QPushButton("Train", parent)
    button.setProperty("primary", True)
    return button


def _section(parent: QWidget) -> QWidget:
    button = QToolButton(parent)
    button.setText("Advanced: loss")
    button.setProperty("role", "section")
    return button


def _tabs(parent: QWidget) -> QWidget:
    bar = QTabBar(parent)
    for name in ("Confusion matrix", "Per class", "Log"):
        bar.addTab(name)
    return bar


def _nav(parent: QWidget) -> QWidget:
    nav = QListWidget(parent)
    nav.setObjectName("navList")
    nav.addItems(["Data", "Train"])
    nav.setCurrentRow(0)
    return nav


CASES: dict[str, tuple[Callable[[QWidget], QWidget], QColor]] = {
    "button": (_button, ACCENT),
    "primary button": (_primary, DARK),
    "section heading": (_section, ACCENT),
    "line edit": (lambda p: QLineEdit("/data/flowers", p), ACCENT),
    "text": (lambda p: QPlainTextEdit("log", p), ACCENT),
    "list": (lambda p: QListView(p), ACCENT),
    "table": (lambda p: QTableView(p), ACCENT),
    "tab bar": (_tabs, ACCENT),
    "page list": (_nav, ACCENT),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_focused_control_wears_a_frame_and_nothing_moves(qtbot, case):
    make, colour = CASES[case]
    box = QWidget()
    qtbot.addWidget(box)
    box.setStyleSheet(STYLE.read_text(encoding="utf-8"))  # on a parent: other tests keep theirs
    widget = make(box)
    other = QPushButton("elsewhere", box)
    layout = QVBoxLayout(box)
    layout.addWidget(widget)
    layout.addWidget(other)
    box.resize(240, 160 if isinstance(widget, QListView | QTableView | QPlainTextEdit) else 90)
    box.show()
    with qtbot.waitActive(box):
        box.activateWindow()
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    before, inner = widget.grab().toImage(), widget.contentsRect()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    after = widget.grab().toImage()
    # A frame all round: at least two rings of pixels in the focus colour more than before.
    frame = _near(after, colour) - _near(before, colour)
    w, h = widget.width(), widget.height()
    if case in ("tab bar", "page list"):  # around the current tab / page only
        assert frame >= 60, (case, frame)
    else:
        assert frame >= 2 * (w + h), (case, frame, w, h)
    assert widget.contentsRect() == inner  # the frame's pixels come out of the padding


def _accent_pixels_of_tile(qtbot, view, row: int) -> int:
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    rect = view.visualRect(view.model().index(row, 0))
    return _near(view.viewport().grab(rect).toImage(), ACCENT)


def test_the_selected_tile_stands_out_in_the_accent_colour(qtbot):
    """The arrow keys select the tile they reach; it was told apart only by a pale blue
    (the view's selection colour, #DCE7FA) or a 1 px thicker frame."""
    from core.infer.results import ClassifiedImage
    from gui.classify.results_filter import ResultsFilterModel
    from gui.classify.results_model import ResultsModel
    from gui.classify.results_view import ResultsView
    from gui.demo.demo_data import demo_class_names, demo_predictions
    from gui.widgets.prediction_grid import PredictionGrid

    grid = PredictionGrid()
    qtbot.addWidget(grid)
    grid.set_predictions(demo_predictions(demo_class_names(3), count=4))
    model = ResultsModel()
    model.append_results(
        [ClassifiedImage(f"/x/{i}.jpg", "cat", 0.9, (("cat", 0.9),)) for i in range(4)]
    )
    results = ResultsView()
    qtbot.addWidget(results)
    results.setModel(ResultsFilterModel(model, results))
    for view in (grid, results):
        plain = _accent_pixels_of_tile(qtbot, view, 1)
        view.setCurrentIndex(view.model().index(1, 0))  # as the arrow keys do: selects it
        selected = _accent_pixels_of_tile(qtbot, view, 1)
        rect = view.visualRect(view.model().index(1, 0))
        assert selected - plain >= rect.width() + rect.height(), type(view).__name__
