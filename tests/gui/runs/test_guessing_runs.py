"""A run whose model only guesses is marked in the Runs list, and classifying with it asks first."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui.runs.runs_table import COLUMNS
from gui.runs.runs_view import RunsView
from tests.gui.helpers import answer_questions
from tests.gui.runs.runs_helpers import column_texts, row_of, write_run

VERDICT = "This model is guessing: its best validation accuracy (21%) is about chance (20%)."


@pytest.fixture
def view(qtbot) -> RunsView:
    widget = RunsView()
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    return widget


def test_the_runs_list_marks_a_guessing_model_and_explains_it(view, tmp_path):
    guessing = write_run(tmp_path, "guessing", val_accs=(0.2, 0.21), verdict=VERDICT)
    fine = write_run(tmp_path, "fine", verdict="")
    view.set_workspace(str(tmp_path))
    texts = column_texts(view, "best val acc")
    assert texts[row_of(view, guessing)].endswith("guessing")
    assert not texts[row_of(view, fine)].endswith("guessing")
    index = view.proxy.index(row_of(view, guessing), COLUMNS.index("best val acc"))
    assert index.data(Qt.ItemDataRole.ToolTipRole) == VERDICT


@pytest.mark.parametrize("choice, emitted", [("Classify anyway", True), ("Cancel", False)])
def test_classifying_with_a_guessing_model_asks_first(
    view, qtbot, tmp_path, monkeypatch, choice, emitted
):
    run = write_run(tmp_path, "guessing", val_accs=(0.2, 0.21), verdict=VERDICT)
    view.set_workspace(str(tmp_path))
    view.select_runs([str(run)])
    shown = answer_questions(monkeypatch, choice)
    got = []
    view.classifyWithRun.connect(got.append)
    view.classify_button.click()
    assert shown == [VERDICT]
    assert got == ([str(run)] if emitted else [])
