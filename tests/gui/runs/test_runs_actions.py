"""RunsView actions: resume / extend, classify with a run, open its folder, delete it."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QFile

from gui.runs.runs_table import COLUMNS
from tests.gui.runs.runs_helpers import dirs_of, write_run


def test_resume_is_offered_for_resumable_runs_and_emits_the_run_and_epochs(
    view, qtbot, tmp_path, monkeypatch
):
    done = write_run(tmp_path, "done", val_accs=(0.5, 0.6))
    no_ckpt = write_run(tmp_path, "no-ckpt", checkpoint=False)
    failed = write_run(tmp_path, "failed", status="failed")
    stopped = write_run(tmp_path, "stopped", status="cancelled", val_accs=(0.5,), epochs=10)
    view.set_workspace(str(tmp_path))

    for run, enabled in ((done, True), (no_ckpt, False), (failed, False), (stopped, True)):
        view.select_runs([str(run)])
        assert view.resume_button.isEnabled() is enabled, run.name

    with qtbot.waitSignal(view.resumeRequested) as blocker:
        view.request_resume(str(done), 12)
    assert blocker.args == [str(done), 12, None]

    # Through the button: the dialog proposes the original target for a stopped run.
    asked = {}

    def fake_get_int(_parent, _title, _label, value, minimum, _maximum):
        asked.update(value=value, minimum=minimum)
        return 20, True

    monkeypatch.setattr("gui.runs.resume_questions.QInputDialog.getInt", fake_get_int)
    view.select_runs([str(stopped)])
    with qtbot.waitSignal(view.resumeRequested) as blocker:
        view.resume_button.click()
    assert blocker.args == [str(stopped), 20, None]
    assert asked == {"value": 10, "minimum": 2}


def test_classify_emits_the_run_folder_and_needs_a_model(view, qtbot, tmp_path):
    with_model = write_run(tmp_path, "with-model")
    without = write_run(tmp_path, "without", model=False)
    view.set_workspace(str(tmp_path))
    view.select_runs([str(without)])
    assert not view.classify_button.isEnabled()
    view.select_runs([str(with_model)])
    with qtbot.waitSignal(view.classifyWithRun) as blocker:
        view.classify_button.click()
    assert blocker.args == [str(with_model)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a private trash needs XDG")
def test_delete_moves_to_trash_after_asking(view, tmp_path, monkeypatch):
    (tmp_path / "xdg").mkdir()  # Qt creates the Trash folder, not its parent
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # a private trash can
    workspace = tmp_path / "ws"
    keep = write_run(workspace, "keep")
    drop = write_run(workspace, "drop")
    view.set_workspace(str(workspace))
    questions = []
    answers = iter([False, True])
    monkeypatch.setattr(
        view, "_confirm", lambda title, text: questions.append(text) or next(answers)
    )

    view.select_runs([str(drop)])
    view.delete_button.click()  # answered no
    assert drop.exists()
    view.delete_button.click()  # answered yes
    assert "drop" in questions[-1]
    assert not drop.exists() and keep.exists()
    assert (tmp_path / "xdg" / "Trash" / "files" / "drop" / "run.json").exists()
    assert dirs_of(view) == [str(keep)]
    assert view.detail.stack.currentWidget() is view.detail.placeholder


def test_open_folder_opens_the_run_folder(view, tmp_path, monkeypatch):
    run = write_run(tmp_path, "run")
    view.set_workspace(str(tmp_path))
    opened = []
    monkeypatch.setattr(
        "gui.widgets.open_path.QDesktopServices.openUrl", lambda url: opened.append(url) or True
    )
    view.select_runs([str(run)])
    view.open_button.click()
    assert [url.toLocalFile() for url in opened] == [str(run)]


def test_open_folder_on_the_runs_page_says_where_the_run_is(view, monkeypatch, tmp_path):
    from tests.gui.widgets.test_open_path import no_program

    # No file manager (a minimal desktop): the page says where the run is (GUI review, session 7).
    told = no_program(monkeypatch)
    run = write_run(tmp_path, "run-1", val_accs=(0.5, 0.9))
    view.set_workspace(str(tmp_path))
    view.select_runs([str(run)])
    view.open_button.click()
    assert len(told) == 1 and str(run) in told[0] and "the run folder" in told[0]


def test_delete_without_a_trash_asks_again_before_deleting_for_good(view, tmp_path, monkeypatch):
    run = write_run(tmp_path, "run")
    view.set_workspace(str(tmp_path))
    monkeypatch.setattr(QFile, "moveToTrash", staticmethod(lambda path: (False, "")))
    questions = []
    monkeypatch.setattr(view, "_confirm", lambda title, text: questions.append(title) or True)
    view.select_runs([str(run)])
    view.delete_button.click()
    assert questions == ["Delete runs", "Delete permanently"]
    assert not run.exists()


def test_extending_a_run_shows_the_new_epoch_count_at_once(view, tmp_path):
    run = write_run(tmp_path, "run-a", started="2024-05-01T10:00:00", val_accs=(0.5, 0.6))
    view.set_workspace(str(tmp_path))
    view.select_runs([str(run)])
    assert "2 of 2 epochs" in view.detail.summary_label.text()
    view.note_extending(str(run), 6)  # the window does this when Resume starts the run
    assert "2 of 6 epochs" in view.detail.summary_label.text()
    row = view.model.runs.index(next(r for r in view.model.runs if r["run_dir"] == str(run)))
    assert "6" in view.table.model().index(row, COLUMNS.index("epochs")).data()
