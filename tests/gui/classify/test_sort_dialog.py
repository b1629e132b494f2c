"""The sort dialog closes (Close, Escape, the window's X), stops a running sort first, and the
Classify page keeps one dialog at a time (closed ones are deleted). No model needed: the
results are made up over real files."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt

import gui.classify.sort_dialog as sort_dialog_module
from core.files.sorting import SortOutcome
from core.infer.results import ClassifiedImage
from gui.classify.classify_view import ClassifyView
from gui.classify.sort_dialog import SortDialog


@pytest.fixture
def results(tmp_path: Path) -> list[ClassifiedImage]:
    out = []
    for i, label in enumerate(("cat", "dog", "cat")):
        path = tmp_path / "src" / f"img_{i}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"not really a jpeg")
        out.append(ClassifiedImage(str(path), label, 0.9, ((label, 0.9),)))
    return out


@pytest.fixture
def dialog(qtbot, results, tmp_path) -> SortDialog:
    widget = SortDialog(results, 0.5, str(tmp_path / "sorted"))
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def blocked_sort(monkeypatch):
    """execute_sort that runs until asked to stop (or released), so the dialog is busy."""
    release = threading.Event()

    def slow_sort(plan, manifest_path=None, progress=None, should_stop=None):
        while not release.is_set() and not (should_stop and should_stop()):
            release.wait(0.01)
        return SortOutcome(0, (), None, True)

    monkeypatch.setattr(sort_dialog_module, "execute_sort", slow_sort)
    yield release
    release.set()


def test_close_button_closes(qtbot, dialog):
    dialog.close_button.click()
    assert not dialog.isVisible()


def test_escape_closes(qtbot, dialog):
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_window_close_closes(qtbot, dialog):
    assert dialog.close()
    assert not dialog.isVisible()


def test_escape_while_sorting_stops_then_close_works(qtbot, dialog, blocked_sort):
    dialog.start()
    assert dialog.is_running()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()  # stays to show what was done
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=5000)
    assert dialog.close_button.text() == "Close"
    dialog.close_button.click()
    assert not dialog.isVisible()


def test_closing_the_window_while_sorting_stops_and_closes_when_done(qtbot, dialog, blocked_sort):
    dialog.start()
    assert not dialog.close()  # refused for now: the sort stops first
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert not dialog.is_running()


def test_classify_page_keeps_one_dialog_and_deletes_closed_ones(qtbot, results):
    view = ClassifyView()
    qtbot.addWidget(view)
    view.results_model.append_results(results)
    first = view.open_sort_dialog()
    assert view.open_sort_dialog() is first  # open: raised, not duplicated
    first.close_button.click()
    assert not first.isVisible()
    qtbot.waitUntil(lambda: not shiboken6.isValid(first), timeout=2000)  # deleted on close
    second = view.open_sort_dialog()
    assert second is not first and second.isVisible()
    assert len(view.findChildren(SortDialog)) == 1
    second.close()
    view.shutdown()


def test_closing_the_page_stops_a_long_sort_and_waits_for_it(
    qtbot, results, blocked_sort, tmp_path
):
    view = ClassifyView()
    qtbot.addWidget(view)
    view.results_model.append_results(results)
    dialog = view.open_sort_dialog()
    dialog.dest_edit.setText(str(tmp_path / "sorted"))
    dialog.start()
    assert dialog.is_running()
    view.shutdown(timeout_ms=50)  # the sort had 50 ms to finish, then was stopped
    assert not dialog.is_running()
