"""The window across a session: the model just trained is preselected on the Classify page
and remembered after a restart; closing while classifying asks first."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import shutil

from core.events import RunFinished
from tests.gui.helpers import make_window, tiny_config, trained_run_dir


def test_the_model_just_trained_is_preselected_and_remembered(qtbot, tmp_path, trained_run_dir):
    run_dir = tmp_path / "workspace" / trained_run_dir.name
    shutil.copytree(trained_run_dir, run_dir)
    window = make_window(qtbot, tmp_path)
    classify = window.classify_view
    assert classify.model_path() == ""

    def finished_fit(config, control):  # the run's model is already in its folder
        yield RunFinished("completed", "done", str(run_dir), 2, 0.9, 1, str(run_dir / "x"))

    window.train_page.start_training(tiny_config(tmp_path, run_dir), fit=finished_fit)
    qtbot.waitUntil(lambda: not window.train_page.is_running(), timeout=10_000)
    assert classify.model_path() == str(run_dir)
    window.close()

    again = make_window(qtbot, tmp_path)  # a restart, same settings file
    assert again.classify_view.model_path() == str(run_dir)
    assert "classes" in again.classify_view.model_chooser.info_label.text()
    again.close()


def test_closing_while_classifying_asks_first(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, tmp_path)
    classify = window.classify_view
    monkeypatch.setattr(classify, "is_running", lambda: True)
    questions: list[str] = []

    def answer_no() -> bool:
        questions.append(window._close_question())
        return False

    window.confirm_close = answer_no
    window.close()
    assert window.isVisible()  # "No": the results are not lost
    assert "classification is in progress" in questions[0] and "export" in questions[0]
    monkeypatch.setattr(classify, "is_running", lambda: False)
    window.close()
    assert not window.isVisible()


def test_the_next_runs_process_waits_ready_between_runs_and_goes_with_the_window(
    qtbot, tmp_path, monkeypatch
):
    import sys
    import threading

    from core.train import standby
    from core.train.child_process import is_alive

    monkeypatch.setattr(standby, "START_AHEAD", True)
    window = make_window(qtbot, tmp_path)
    page = window.train_page
    # A stand-in that waits for its command as the real one does, without loading torch.
    page.standby = standby.Standby([sys.executable, "-c", "import sys; sys.stdin.readline()"])
    assert not page.standby.ready()
    run_dir = tmp_path / "run"

    shown_again = threading.Event()

    def finished_fit(config, control):
        shown_again.wait(10)  # the run lasts until the page has been shown again
        yield RunFinished("completed", "done", str(run_dir), 1, 0.9, 0, None)

    page._torch_loaded = True  # as once the window has loaded torch
    page.start_training(tiny_config(tmp_path, run_dir), fit=finished_fit)
    page.hide()
    page.show()  # back on the Train page mid-run: no second process beside the run
    assert not page.standby.ready()
    shown_again.set()
    qtbot.waitUntil(lambda: not page.is_running(), timeout=10_000)
    assert page.standby.ready()  # after a run: ready for the next one
    pid = page.standby.pid
    window.close()
    assert not page.standby.ready() and not is_alive(pid)
    page._start_standby()  # a late "torch loaded" after closing starts nothing
    assert not page.standby.ready()
