"""The Train page's next-steps row: once a run has saved a model it offers to classify images
with it and to open it in Runs; a guessing model asks first; a new run hides the row and a run
without a model shows none. The window's side: tests/gui/test_next_steps_in_window.py."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from core.events import RunFinished
from gui.train.training_dashboard import TrainingDashboard
from tests.gui.helpers import answer_questions

RUN = "/ws/20240101-120000-shapes-simple_cnn"
VERDICT = "This model is guessing: its best validation accuracy (34%) is about chance (33%)."


def _finished(status: str = "completed", model: bool = True, verdict: str = "") -> RunFinished:
    model_path = f"{RUN}/model.safetensors" if model else None
    return RunFinished(status, "Completed 2 epochs.", RUN, 2, 0.9, 1, model_path, verdict=verdict)


def test_a_run_that_saved_a_model_offers_classify_and_runs_near_the_status(dashboard_1280):
    dash: TrainingDashboard = dashboard_1280
    assert dash.next_steps.isHidden()  # while it trains: nothing to use yet
    dash.on_event(_finished())
    steps = dash.next_steps
    assert steps.isVisible()
    assert steps.classify_button.isVisible() and steps.runs_button.isVisible()
    assert steps.classify_button.text() == "Classify images with this model"
    assert "export it" in steps.runs_button.toolTip()
    # Right under the progress bar, above the plots; both buttons whole at 1280 px.
    assert dash.progress_bar.geometry().bottom() < steps.geometry().top()
    assert steps.geometry().bottom() < dash.body.geometry().top()
    for button in (steps.classify_button, steps.runs_button):
        assert button.width() >= button.sizeHint().width(), button.text()


@pytest.mark.parametrize(
    "finished",
    [_finished("failed", model=False), _finished("stopped", model=False)],
    ids=["failed", "stopped before a model"],
)
def test_a_run_without_a_model_offers_nothing(dashboard_1280, finished):
    dashboard_1280.on_event(finished)
    assert dashboard_1280.next_steps.isHidden()


def test_a_new_run_hides_the_previous_runs_next_steps(dashboard_1280):
    dashboard_1280.on_event(_finished())
    dashboard_1280.start_run()
    assert dashboard_1280.next_steps.isHidden()


def test_the_buttons_send_the_run_folder_and_return_or_space_press_them(
    dashboard_1280, qtbot, monkeypatch
):
    steps = dashboard_1280.next_steps
    dashboard_1280.on_event(_finished())
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pytest.fail("a model that learned"))
    with qtbot.waitSignal(steps.classifyRequested, timeout=1000) as classify:
        QTest.keyClick(steps.classify_button, Qt.Key.Key_Return)
    with qtbot.waitSignal(steps.openInRunsRequested, timeout=1000) as runs:
        QTest.keyClick(steps.runs_button, Qt.Key.Key_Space)
    assert classify.args == [RUN] and runs.args == [RUN]


@pytest.mark.parametrize("choice, emitted", [("Classify anyway", True), ("Cancel", False)])
def test_classifying_with_a_guessing_model_asks_first(
    dashboard_1280, qtbot, monkeypatch, choice, emitted
):
    steps = dashboard_1280.next_steps
    dashboard_1280.on_event(_finished(verdict=VERDICT))
    assert "guessing" in steps.classify_button.toolTip()
    shown = answer_questions(monkeypatch, choice)
    got: list[str] = []
    steps.classifyRequested.connect(got.append)
    steps.classify_button.click()
    assert shown == [VERDICT]
    assert got == ([RUN] if emitted else [])
