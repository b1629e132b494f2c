"""A filter that hides every result says so, and "Show all" clears it (the grid said "No
images were classified." under "Classified 100 images", with "Showing 0 of 100")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from core.infer.results import ClassifiedImage
from gui.classify.classify_job import ResultsBatch
from gui.classify.classify_view import ClassifyView
from gui.jobs import JobEnded

CLASSES = ("cat", "dog")


def _results(n: int) -> list[ClassifiedImage]:
    out = []
    for i in range(n):
        label, other = CLASSES[i % 2], CLASSES[1 - i % 2]
        confidence = 0.5 + 0.4 * i / n  # 50-90 %
        top = ((label, confidence), (other, 1 - confidence))
        out.append(ClassifiedImage(f"/photos/img_{i}.jpg", label, confidence, top))
    return out


@pytest.fixture
def view(qtbot):
    widget = ClassifyView()
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def test_a_filter_hiding_every_result_says_so_and_show_all_clears_it(qtbot, view):
    view.resize(1100, 700)
    view.show()
    qtbot.waitExposed(view)
    view.results_model.set_class_names(list(CLASSES))
    view.on_event(ResultsBatch(results=_results(10)))
    view.on_event(JobEnded("finished", result="Classified 10 images in 0.1 s."))
    grid, bar = view.results_view, view.filter_bar
    button = grid.findChild(QPushButton, "showAllResultsButton")
    assert grid.placeholder_text() == "" and not button.isVisible()

    bar.class_combo.setCurrentIndex(bar.class_combo.findData("dog"))
    bar.max_spin.setValue(20)  # the minimum follows: 20 % to 20 %
    assert view.proxy.rowCount() == 0
    assert grid.placeholder_text() == "No results match the filters."
    assert button.isVisible()
    assert grid.viewport().rect().contains(button.geometry())
    assert bar.count_label.text() == "Showing 0 of 10"

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert view.proxy.rowCount() == 10
    assert (bar.min_spin.value(), bar.max_spin.value()) == (0, 100)
    assert bar.class_combo.currentData() is None
    assert not button.isVisible() and grid.placeholder_text() == ""
    assert bar.count_label.text() == "Showing 10 of 10"


def test_an_empty_folder_still_says_no_images_were_classified(view):
    view.show()
    bar = view.filter_bar
    bar.min_spin.setValue(50)
    view.on_event(JobEnded("finished", result="Classified 0 images."))
    assert view.results_view.placeholder_text() == "No images were classified."
    assert not view.results_view.findChild(QPushButton, "showAllResultsButton").isVisible()
