"""The Train page's next steps in the window: after a real run, "Classify images with this
model" opens the Classify page with its model and "Open in Runs" selects the run on the Runs
page; a guessing model asks first (Cancel stays on the Train page); the next run hides the row
and a failed one shows none. The row itself: tests/gui/train/test_next_steps.py."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from core.events import RunFinished
from gui.main_window import CLASSIFY_PAGE, RUNS_PAGE, TRAIN_PAGE
from tests.core.image_factory import make_shapes_dataset
from tests.gui.helpers import (
    answer_questions,
    make_window,
    shapes_dataset,
    tiny_config,
    trained_run_dir,
)

VERDICT = "This model is guessing: its best validation accuracy (34%) is about chance (33%)."


def _wait_for_end(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.train_page.runner.is_running(), timeout=60_000)


def test_after_a_run_the_train_page_offers_its_model_to_classify_and_in_runs(
    qtbot, tmp_path, shapes_dataset, monkeypatch
):
    window = make_window(qtbot, tmp_path)
    run_dir = Path(window.workspace) / "20240101-120000-shapes-simple_cnn"
    window.train_page.start_training(tiny_config(shapes_dataset, run_dir, epochs=1))
    steps = window.train_page.dashboard.next_steps
    assert steps.isHidden()
    _wait_for_end(qtbot, window)
    assert window.train_page.dashboard.status_label.text().startswith("completed")
    assert steps.isVisible()
    assert steps.classify_button.isVisible() and steps.runs_button.isVisible()

    # One epoch on 36 images may leave the model guessing: then it asks, as run.json says.
    verdict = json.loads((run_dir / "run.json").read_text()).get("verdict", "")
    shown = answer_questions(monkeypatch, "Classify anyway")
    qtbot.mouseClick(steps.classify_button, Qt.MouseButton.LeftButton)
    assert shown == ([verdict] if verdict else [])
    assert window.current_page() == CLASSIFY_PAGE
    assert Path(window.classify_view.model_path()) == run_dir
    # the keyboard is where the next step is: no images chosen yet, so the Images field
    assert window.focusWidget() is window.classify_view.folder_edit

    window.show_page(TRAIN_PAGE)
    qtbot.mouseClick(steps.runs_button, Qt.MouseButton.LeftButton)
    assert window.current_page() == RUNS_PAGE
    assert window.runs_view.selected_run_dirs() == [str(run_dir)]

    # The next run hides the row at once; failing, it offers nothing.
    one_class = make_shapes_dataset(tmp_path / "one", classes=("circle",), per_class=6)
    window.train_page.start_training(tiny_config(one_class, tmp_path / "workspace" / "failed"))
    assert window.current_page() == TRAIN_PAGE and steps.isHidden()
    _wait_for_end(qtbot, window)
    assert window.train_page.dashboard.status_label.text().startswith("failed")
    assert steps.isHidden()


@pytest.mark.parametrize("choice, page", [("Cancel", TRAIN_PAGE), ("Classify anyway", None)])
def test_a_guessing_model_asks_before_the_classify_page_gets_it(
    qtbot, tmp_path, trained_run_dir, monkeypatch, choice, page
):
    window = make_window(qtbot, tmp_path)
    run_dir = Path(window.workspace) / trained_run_dir.name
    shutil.copytree(trained_run_dir, run_dir)

    def guessing_fit(config, control):  # the run's verdict is what matters here
        model = str(run_dir / "model.safetensors")
        yield RunFinished("completed", "Done.", str(run_dir), 2, 0.34, 1, model, verdict=VERDICT)

    window.train_page.start_training(tiny_config(run_dir, run_dir), fit=guessing_fit)
    _wait_for_end(qtbot, window)
    shown = answer_questions(monkeypatch, choice)
    classify_before = window.classify_view.model_path()
    qtbot.mouseClick(
        window.train_page.dashboard.next_steps.classify_button, Qt.MouseButton.LeftButton
    )
    assert shown == [VERDICT]
    if page == TRAIN_PAGE:
        assert window.current_page() == TRAIN_PAGE
        assert window.classify_view.model_path() == classify_before
    else:
        assert window.current_page() == CLASSIFY_PAGE
        assert Path(window.classify_view.model_path()) == run_dir
