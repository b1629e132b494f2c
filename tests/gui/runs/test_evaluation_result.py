""" "Evaluate on a folder…" says what it found on the page: the accuracy, the number of images
and where the report is, with "Open report" to open it again, and says so when no browser
could be opened (the report used to be written with nothing shown at all)."""

from __future__ import annotations

import os

from gui.runs import model_actions
from tests.gui.runs.runs_helpers import write_run

ZWSP = "\u200b"  # where the shown path may wrap


def _fake_evaluation(fail: bool = False):
    """Stands in for evaluate_job: writes a report.html, no model needed."""

    def make(run_dir: str, data_dir: str, out_dir: str, device: str = "auto"):
        def job(_control):
            if fail:
                raise OSError("disk full")
            os.makedirs(out_dir)
            path = os.path.join(out_dir, "report.html")
            with open(path, "w", encoding="utf-8") as f:
                f.write("<html></html>")
            return path, 0.85, 100
            yield  # a generator, like the real job

        return job

    return make


def _evaluate(qtbot, view, tmp_path, monkeypatch, browser_opens: bool, fail: bool = False):
    run = write_run(tmp_path / "ws", "run-a")
    data = tmp_path / "holdout"
    data.mkdir()
    view.set_workspace(str(tmp_path / "ws"))
    view.select_runs([str(run)])
    actions = view.model_actions
    opened: list[str] = []
    monkeypatch.setattr(model_actions, "evaluate_job", _fake_evaluation(fail))
    monkeypatch.setattr(actions, "open", lambda path: opened.append(path) or browser_opens)
    out = actions.start_evaluation(str(data))
    qtbot.waitUntil(lambda: not actions.runner.is_running(), timeout=10000)
    qtbot.waitUntil(lambda: "Evaluating" not in actions.result_label.text(), timeout=10000)
    return actions, opened, os.path.join(out, "report.html")


def test_a_finished_evaluation_shows_its_accuracy_and_report_path(
    qtbot, view, tmp_path, monkeypatch
):
    view.show()
    actions, opened, report = _evaluate(qtbot, view, tmp_path, monkeypatch, browser_opens=True)
    text = actions.result_label.text().replace(ZWSP, "")
    assert actions.result_label.isVisible()
    assert "run-a on holdout" in text
    assert "Accuracy 85.0 % on 100 images; report at" in text and report in text
    assert "No browser" not in text
    assert opened == [report]
    assert actions.open_report_button.isVisible() and actions.open_report_button.isEnabled()
    actions.open_report_button.click()  # open it again later
    assert opened == [report, report]


def test_without_a_browser_the_page_says_where_the_report_is(qtbot, view, tmp_path, monkeypatch):
    view.show()
    actions, opened, report = _evaluate(qtbot, view, tmp_path, monkeypatch, browser_opens=False)
    text = actions.result_label.text().replace(ZWSP, "")
    assert opened == [report]
    assert report in text and "No browser could be opened" in text
    assert actions.result_label.property("role") == "error"
    actions.open_report_button.click()  # still none: said once, not twice
    assert actions.result_label.text().count("No browser") == 1


def test_a_failed_evaluation_says_why_on_the_page(qtbot, view, tmp_path, monkeypatch):
    view.show()
    actions, opened, _report = _evaluate(
        qtbot, view, tmp_path, monkeypatch, browser_opens=True, fail=True
    )
    assert opened == []
    assert "failed" in actions.result_label.text() and "disk full" in actions.result_label.text()
    assert actions.result_label.property("role") == "error"
    assert not actions.open_report_button.isVisible()
    assert actions.evaluate_button.isEnabled()
