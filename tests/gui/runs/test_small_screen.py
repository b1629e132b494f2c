"""The Runs page in a 1280x720 window: the list's status column shows without a horizontal
scroll bar (long names are elided instead), and the Test tab's confusion matrix shows every
row without a scroll bar."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from gui.app import style_sheet
from gui.runs.runs_table import COLUMNS, shrinking_tiers, shrunk_widths
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


HEADERS = {  # px of each header's text
    "date": 48, "dataset": 69, "architecture": 101, "best val acc": 98, "test acc": 71,
    "epochs": 65, "status": 60,
}  # fmt: skip
CONTENTS = {"date": 115, "dataset": 60, "architecture": 66, "best val acc": 60,
            "test acc": 50, "epochs": 40, "status": 79}  # fmt: skip
TIERS = shrinking_tiers(HEADERS, CONTENTS, short_date=83)


def test_shrinking_shortens_the_date_first_then_the_sort_arrow_room_then_names():
    date, dataset, arch, best, test, epochs = range(6)
    natural = [115, 89, 121, 118, 91, 85]
    assert shrunk_widths(natural, 1000, TIERS) == natural
    fitted = shrunk_widths(natural, sum(natural) - 30, TIERS)
    assert fitted == [85, *natural[1:]]  # the date's short form: nothing lost
    names = shrunk_widths(natural, sum(natural) - 32 - 40, TIERS)
    assert names == [83, 69, 101, 118, 91, 85]  # the names keep their headers whole
    arrows = shrunk_widths(natural, sum(natural) - 32 - 40 - 60, TIERS)
    assert arrows == [83, 69, 101, 98, 71, 65]  # the room kept for the sort arrow goes next
    tight = shrunk_widths(natural, 100, TIERS)
    assert (tight[dataset], tight[arch]) == (56, 64)  # elided at last
    assert (tight[date], tight[best]) == (83, 58)
    assert (tight[test], tight[epochs]) == (71, 65)  # numbers are never elided


@pytest.fixture
def app_style(qapp):
    """Loupe's style sheet, as the window has it: its bold, padded headers take more room."""
    qapp.setStyleSheet(style_sheet())
    yield
    qapp.setStyleSheet("")


def test_at_1280_px_the_list_shows_short_dates_whole_names_and_the_status(
    qtbot, app_style, view, tmp_path
):
    """ "2026-1… 20:59" lost the month and day, "de…oc" and the architecture header were cut."""
    ws = tmp_path / "ws"
    year = datetime.now().year
    for name, started in (("a", f"{year}-12-01T21:00:47"), ("b", f"{year}-12-01T20:59:31")):
        write_run(ws, name, started=started, arch="loupe_net", dataset="/tmp/demo_doc",
                  test_acc=0.475)  # fmt: skip
    view.resize(*PAGE_AT_1280x720)
    view.show()
    view.set_workspace(str(ws))
    view.select_runs([str(ws / "b")])
    table = view.table
    qtbot.waitUntil(lambda: table.isVisible())
    header = table.horizontalHeader()
    status = COLUMNS.index("status")
    assert table.horizontalScrollBar().maximum() == 0
    assert header.sectionViewportPosition(status) + header.sectionSize(status) <= (
        table.viewport().width()
    )
    row = next(r for r in range(2) if table.run_dir_at(r) == str(ws / "b"))
    index = table.proxy.index(row, COLUMNS.index("date"))
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    option.rect = table.visualRect(index)
    table.itemDelegateForIndex(index).initStyleOption(option, index)
    assert option.text == "1 Dec 20:59"
    assert table.fontMetrics().horizontalAdvance(option.text) < option.rect.width()
    assert index.data(Qt.ItemDataRole.ToolTipRole).startswith(f"Started {year}-12-01 20:59")
    headers, contents, _short = table._measure()
    for name in ("dataset", "architecture"):
        column = COLUMNS.index(name)
        assert header.sectionSize(column) >= max(headers[name], contents[name]), name


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
