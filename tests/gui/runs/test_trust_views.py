"""The window's side of issue 10: the Runs page's Test tab and test accuracy, the image
detail's "Why?" heat map (computed off the GUI thread), "Evaluate on a folder…" and
"Export…" with the parity result."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import Qt


def _report(run) -> dict:
    return json.loads((run / "test_report" / "report.json").read_text(encoding="utf-8"))


def test_runs_page_shows_test_accuracy_and_the_test_tab(qtbot, split_run):
    from gui.runs.runs_table import COLUMNS
    from gui.runs.runs_view import RunsView

    _, run, _ = split_run
    view = RunsView()
    qtbot.addWidget(view)
    view.set_workspace(str(run.parent))
    report = _report(run)
    column = COLUMNS.index("test acc")
    assert view.proxy.index(0, column).data() == f"{100 * report['accuracy']:.1f} %"
    view.select_runs([str(run)])
    detail = view.detail
    assert "test accuracy" in detail.summary_label.text()
    tabs = [detail.tabs.tabText(i) for i in range(detail.tabs.count())]
    assert "Test" in tabs
    test_view = detail.test_view
    assert "Test accuracy" in test_view.summary.text()
    matrix = test_view.confusion.model()
    cells = [
        matrix.index(r, c).data()
        for r in range(matrix.rowCount())
        for c in range(matrix.columnCount())
    ]
    total = sum(int(text) for text in cells if text)
    assert total == report["images"]
    assert test_view.mistakes.count() == len(report["misclassified"])
    assert view.model_actions.evaluate_button.isEnabled()
    assert view.model_actions.export_button.isEnabled()


def test_a_run_without_a_test_split_says_how_to_get_one(qtbot, tmp_path):
    from gui.runs.test_view import TestView

    view = TestView()
    qtbot.addWidget(view)
    view.show_run(str(tmp_path))
    assert view.stack.currentWidget() is view.empty and "test/" in view.empty.text()


def test_why_overlays_a_heat_map_for_the_predicted_and_a_chosen_class(qtbot, split_run):
    from gui.widgets.image_detail import ImageDetailDialog

    data, run, _ = split_run
    path = str(data / "test" / "square" / "square_004.png")
    dialog = ImageDetailDialog()
    qtbot.addWidget(dialog)
    dialog.set_model(str(run))
    dialog.show_prediction(path, "square_004.png", [("square", 0.9), ("circle", 0.06)], "square")
    photo = dialog.image.source.toImage()
    assert dialog.why.button.isEnabled()
    with qtbot.waitSignal(dialog.why.overlayShown, timeout=60000) as shown:
        dialog.why.button.click()
    assert shown.args == ["square"]  # the predicted class
    overlay = dialog.image.source.toImage()
    assert overlay.size() != photo.size() or overlay != photo
    assert "square" in dialog.why.caption.text()
    with qtbot.waitSignal(dialog.why.overlayShown, timeout=60000) as shown:
        qtbot.mouseClick(
            dialog.top_k_table.viewport(),
            Qt.MouseButton.LeftButton,
            pos=dialog.top_k_table.visualItemRect(dialog.top_k_table.item(1, 0)).center(),
        )
    assert shown.args == ["circle"]
    dialog.why.button.click()  # off: the photo again
    assert dialog.image.source.toImage() == photo
    dialog.why.runner.wait()


def test_why_needs_a_model_and_an_image_file(qtbot):
    import numpy as np

    from gui.widgets.image_detail import ImageDetailDialog

    dialog = ImageDetailDialog()
    qtbot.addWidget(dialog)
    dialog.show_prediction(np.zeros((8, 8, 3), np.uint8), "x", [("a", 1.0)])
    assert not dialog.why.button.isEnabled()


def test_evaluate_on_a_folder_writes_a_new_report_and_opens_it(qtbot, split_run, monkeypatch):
    from gui.runs.model_actions import ModelActions

    data, run, _ = split_run
    opened = []
    actions = ModelActions(None)
    monkeypatch.setattr(actions, "open", opened.append)
    actions.set_run({"run_dir": str(run)})
    with qtbot.waitSignal(actions.reportReady, timeout=60000):
        out = actions.start_evaluation(str(data / "val"))
    actions.runner.wait()
    assert opened == [os.path.join(out, "report.html")]
    assert out.startswith(str(run / "evaluations"))
    assert json.loads(open(os.path.join(out, "report.json")).read())["images"] == 18
    assert actions.evaluate_button.isEnabled()


def test_export_dialog_checks_parity_and_refuses_to_overwrite(qtbot, split_run, tmp_path):
    from gui.runs.export_dialog import ExportDialog

    _, run, _ = split_run
    dialog = ExportDialog(str(run))
    qtbot.addWidget(dialog)
    dialog.format_combo.setCurrentIndex(1)  # TorchScript: quick
    target = tmp_path / "m.pt"
    dialog.path_edit.setText(str(target))
    for expected in ("parity ok", "already exists"):
        dialog.start_export()
        qtbot.waitUntil(lambda: not dialog.runner.is_running(), timeout=60000)
        assert expected in dialog.result_label.text()
    # It names the dialog's own checkbox, not only a command-line flag (GUI review, session 7).
    assert "'Replace an existing file' in the window" in dialog.result_label.text()
    assert target.is_file() and (tmp_path / "m.pt.json").is_file()


@pytest.fixture(autouse=True)
def _no_job_left(qtbot):
    yield
    from gui.jobs import running_threads

    for thread in running_threads():
        thread.wait(60000)
