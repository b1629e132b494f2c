"""Resuming from the window a run whose unlabelled images have gone since: the Runs page asks
for their new folder or to go on without them (the command line's --unlabelled NEWDIR / '')."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.runs.resume_questions import ask_unlabelled_instead
from gui.runs.runs_page_model import RunsPageModel
from tests.gui.helpers import make_window, trained_run_dir


def _learnt_from(run_dir: Path, folder: Path) -> None:
    """Make `run_dir`'s config say it learnt from unlabelled images in `folder`."""
    path = run_dir / "config.json"
    config = json.loads(path.read_text())
    config["unlabelled"]["folder"] = str(folder)
    path.write_text(json.dumps(config))


def _answer(button_text: str) -> None:
    """Click `button_text` in the question box once it is shown."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        for button in box.buttons():
            if button.text() == button_text:
                button.click()
                return
        raise AssertionError(f"no button {button_text!r} in {[b.text() for b in box.buttons()]}")

    QTimer.singleShot(20, click)


def test_the_page_model_names_a_gone_unlabelled_folder_only(tmp_path, trained_run_dir):
    run_dir = tmp_path / trained_run_dir.name
    shutil.copytree(trained_run_dir, run_dir)
    run = {"run_dir": str(run_dir)}
    assert RunsPageModel.gone_unlabelled(run) == ""  # learnt from none
    pool = tmp_path / "pool"
    pool.mkdir()
    _learnt_from(run_dir, pool)
    assert RunsPageModel.gone_unlabelled(run) == ""  # still there
    pool.rmdir()
    assert RunsPageModel.gone_unlabelled(run) == str(pool)
    assert RunsPageModel.gone_unlabelled({"run_dir": str(tmp_path / "nothing")}) == ""


def test_the_question_offers_another_folder_going_on_without_and_cancel(
    qtbot, tmp_path, monkeypatch
):
    gone = str(tmp_path / "pool")
    _answer("Go on without them")
    assert ask_unlabelled_instead(None, gone) == ""
    _answer("Cancel")
    assert ask_unlabelled_instead(None, gone) is None
    moved = tmp_path / "moved"
    monkeypatch.setattr(
        "gui.runs.resume_questions.QFileDialog.getExistingDirectory",
        lambda *_args: str(moved),
    )
    _answer("Choose folder…")
    assert ask_unlabelled_instead(None, gone) == str(moved)
    monkeypatch.setattr(
        "gui.runs.resume_questions.QFileDialog.getExistingDirectory", lambda *_args: ""
    )
    _answer("Choose folder…")
    assert ask_unlabelled_instead(None, gone) is None  # the folder dialog was cancelled


def test_resume_button_goes_on_without_gone_unlabelled_images(
    qtbot, tmp_path, trained_run_dir, monkeypatch
):
    window = make_window(qtbot, tmp_path)
    run_dir = Path(window.workspace) / trained_run_dir.name
    shutil.copytree(trained_run_dir, run_dir)
    pool = tmp_path / "pool"
    _learnt_from(run_dir, pool)  # ... and the folder is gone

    # Without an answer the run cannot go on: the banner says why, nothing is written.
    before = (run_dir / "metrics.csv").read_bytes()
    window.runs_view.request_resume(str(run_dir), 3)
    qtbot.waitUntil(lambda: not window.train_page.runner.is_running(), timeout=60_000)
    assert "which is gone" in window.train_page.dashboard.error_banner.text()
    assert (run_dir / "metrics.csv").read_bytes() == before

    window.runs_view.set_workspace(window.workspace)
    window.runs_view.select_runs([str(run_dir)])
    monkeypatch.setattr("gui.runs.resume_questions.QInputDialog.getInt", lambda *_args: (3, True))
    _answer("Go on without them")
    window.runs_view.resume_button.click()
    qtbot.waitUntil(lambda: not window.train_page.runner.is_running(), timeout=60_000)
    assert window.train_page.dashboard.status_label.text().startswith("completed")
    assert json.loads((run_dir / "config.json").read_text())["unlabelled"]["folder"] == ""
    assert len((run_dir / "metrics.csv").read_text().splitlines()) == 1 + 3
