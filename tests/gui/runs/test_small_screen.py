"""The Runs page in a 1280x720 window: the list's status column shows without a horizontal
scroll bar (long names are elided instead), and the Test tab's confusion matrix shows every
row without a scroll bar."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from gui.runs.runs_table import COLUMNS, shrunk_widths
from tests.gui.runs.runs_helpers import write_run

PAGE_AT_1280x720 = (1156, 660)  # the Runs page's share of a 1280x720 window
CLASSES = ("balls", "bricks", "clouds", "flowers", "stripes")  # the demo dataset's


def _runs(tmp_path):
    ws = tmp_path / "ws"
    long = dict(arch="efficientnet_lite0", dataset="/data/a-rather-long-dataset-name")
    write_run(ws, "a", status="early_stopped", val_accs=(0.2, 0.2), epochs=17, **long)
    write_run(ws, "b", status="stopped", val_accs=(0.2,), epochs=17, verdict="guessing", **long)
    run = write_run(ws, "c", started="2024-05-02T10:00:00", test_acc=0.85, **long)
    confusion = [
        [18 if t == p else (2 if p == (t + 1) % 5 else 0) for p in range(5)] for t in range(5)
    ]
    mistake = {"path": "/nowhere/x.jpg", "label": "balls", "predicted": "bricks", "confidence": 0.9}
    (run / "test_report").mkdir()
    (run / "test_report" / "report.json").write_text(
        json.dumps(
            {
                "accuracy": 0.9,
                "images": 100,
                "class_names": list(CLASSES),
                "confusion_matrix": confusion,
                "per_class": {
                    c: {"precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 20} for c in CLASSES
                },
                "misclassified": [mistake] * 10,
            }
        )
    )
    return ws, run


def test_the_status_column_shows_whole_in_a_small_window(qtbot, view, tmp_path):
    ws, run = _runs(tmp_path)
    view.resize(*PAGE_AT_1280x720)
    view.show()
    view.set_workspace(str(ws))
    view.select_runs([str(run)])
    qtbot.waitUntil(lambda: view.table.isVisible())
    table = view.table
    status = COLUMNS.index("status")
    header = table.horizontalHeader()
    assert table.horizontalScrollBar().maximum() == 0
    assert header.sectionViewportPosition(status) + header.sectionSize(status) <= (
        table.viewport().width()
    )
    assert header.sectionSize(status) >= table.sizeHintForColumn(status)  # "early stopped"
    # Wider again: the elided columns get their width back.
    view.resize(2400, 900)
    qtbot.waitUntil(lambda: header.sectionSize(COLUMNS.index("architecture")) >= 100)


def test_shrinking_takes_names_first_and_never_goes_below_the_minimum():
    natural = [115, 140, 121, 118, 91, 85]
    assert shrunk_widths(natural, 1000) == natural
    fitted = shrunk_widths(natural, sum(natural) - 40)
    assert sum(fitted) == sum(natural) - 40
    assert fitted[COLUMNS.index("date")] == 115  # the names gave the width
    tight = shrunk_widths(natural, 100)
    assert tight[COLUMNS.index("dataset")] == 56 and tight[COLUMNS.index("date")] == 84
    assert tight[COLUMNS.index("test acc")] == 91  # numbers are never elided


def test_the_test_tabs_confusion_matrix_shows_every_row(qtbot, view, tmp_path):
    ws, run = _runs(tmp_path)
    view.resize(*PAGE_AT_1280x720)
    view.show()
    view.set_workspace(str(ws))
    view.select_runs([str(run)])
    detail = view.detail
    detail.tabs.setCurrentWidget(detail.test_view)
    matrix = detail.test_view.confusion.table
    qtbot.waitUntil(lambda: matrix.isVisible())
    qtbot.waitUntil(lambda: matrix.verticalScrollBar().maximum() == 0, timeout=2000)
    last = matrix.model().rowCount() - 1
    header = matrix.verticalHeader()
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= (
        matrix.viewport().height()
    )


def test_compared_settings_fit_the_tab_with_long_paths_elided(qtbot, view, tmp_path):
    """A long run folder made the first run's column so wide that the second was off screen."""
    ws = tmp_path / ("a-workspace-in-a-folder-with-a-very-long-name-" * 3)
    a = write_run(ws, "20261201-210047-demo_doc-loupe_net", started="2026-12-01T21:00:47")
    b = write_run(ws, "20261201-205931-demo_doc-loupe_net", started="2026-12-01T20:59:31")
    view.resize(*PAGE_AT_1280x720)
    view.show()
    view.set_workspace(str(ws))
    view.select_runs([str(a), str(b)])
    table = view.detail.settings_table
    view.detail.tabs.setCurrentWidget(table)
    qtbot.waitUntil(lambda: table.isVisible())
    header = table.horizontalHeader()
    last = table.columnCount() - 1
    assert last == 2
    assert table.horizontalScrollBar().maximum() == 0
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= (
        table.viewport().width()
    )
    folder = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "run folder")
    assert table.item(folder, 1).toolTip() == str(a)  # whole in the tooltip, elided in the cell
    assert table.fontMetrics().horizontalAdvance(str(a)) > header.sectionSize(1)
    assert table.textElideMode() == Qt.TextElideMode.ElideMiddle
    # One run: its value column takes the width left, the path elided there too.
    view.select_runs([str(a)])
    assert table.columnCount() == 2 and table.horizontalScrollBar().maximum() == 0
