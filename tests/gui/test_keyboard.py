"""The window works without a mouse: Tab visits each page's controls in reading order and
never gets stuck in a table, the page shortcuts switch pages, Return presses the focused
button, and the keys the Keyboard shortcuts help promises do what it says."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import shutil

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGraphicsView, QScrollArea

from core.events import RunFinished
from gui.main_window import CLASSIFY_PAGE, DATA_PAGE, RUNS_PAGE, TRAIN_PAGE
from tests.gui.accessibility_helpers import control_name, names_of, tab_stops
from tests.gui.helpers import make_window, shapes_dataset, trained_run_dir


def _is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    remaining = iter(seen)
    return all(name in remaining for name in wanted)


# What Tab reaches on each page, in this order (other stops may come in between).
READING_ORDER = {
    DATA_PAGE: [
        "navList",
        "datasetPathEdit",
        "browseDatasetButton",
        "recentDatasetsButton",
        "checkDatasetButton",
        "datasetIssues",
        "sampleGrid",
    ],
    TRAIN_PAGE: [
        "navList",
        "presetCombo",
        "archCombo",
        "epochsSpin",
        "batchSizeSpin",
        "learningRateSpin",
        "imageSizeSpin",
        "deviceCombo",
        "classBalancedCheck",
        "trainButton",
        "mistakesOnlyCheck",
        "showAllButton",
        "predictionGrid",
        "qt_tabwidget_tabbar",
    ],
    RUNS_PAGE: [
        "navList",
        "workspaceEdit",
        "changeWorkspaceButton",
        "refreshRunsButton",
        "runsList",
        "resumeButton",  # after the list: Tab leaves a table, it does not walk its cells
        "classifyWithRunButton",
        "openFolderButton",
        "deleteRunButton",
        "qt_tabwidget_tabbar",  # the run's tabs, on the right
    ],
    CLASSIFY_PAGE: [
        "navList",
        "classifyModelCombo",
        "classifyFolderEdit",
        "classifyBrowseButton",
        "classifyRecentButton",
        "classifySubfoldersCheck",
        "classFilterCombo",  # the filters above the grid come before it
        "minConfidenceSpin",
        "maxConfidenceSpin",
        "unsureThresholdSpin",
        "sortCombo",
        "resultsView",
    ],
}


def _ready_window(qtbot, tmp_path, dataset, run_dir):
    window = make_window(qtbot, tmp_path)
    window.resize(1440, 900)
    shutil.copytree(run_dir, tmp_path / "workspace" / run_dir.name)
    window.load_dataset(str(dataset))
    qtbot.waitUntil(lambda: not window.dataset_view.is_scanning(), timeout=20_000)
    window.runs_view.refresh()
    window.runs_view.select_runs([str(tmp_path / "workspace" / run_dir.name)])
    with qtbot.waitActive(window):
        window.activateWindow()
    return window


def test_tab_visits_every_page_in_reading_order(qtbot, tmp_path, shapes_dataset, trained_run_dir):
    window = _ready_window(qtbot, tmp_path, shapes_dataset, trained_run_dir)
    for page, wanted in READING_ORDER.items():
        window.show_page(page)
        stops = tab_stops(window, window.nav)
        seen = names_of(stops)
        assert _is_subsequence(wanted, seen), (page, seen)
        # Every stop is a control a reader names; no scroll area or plot is a stop of its
        # own (nothing would show it focused) except the sample grid, which scrolls by keys.
        assert [s for s in stops if not control_name(s)] == [], (page, seen)
        bare = [
            name
            for stop, name in zip(stops, seen, strict=True)
            if isinstance(stop, QGraphicsView)
            or (type(stop) is QScrollArea and name != "sampleGrid")
        ]
        assert bare == [], (page, seen)


def test_page_shortcuts_switch_pages_and_the_page_list_follows_the_arrows(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    with qtbot.waitActive(window):
        window.activateWindow()
    for page in (TRAIN_PAGE, RUNS_PAGE, CLASSIFY_PAGE, DATA_PAGE):
        QTest.keyClick(window, Qt.Key(Qt.Key.Key_1 + page), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == page
    window.nav.setFocus()
    QTest.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.current_page() == TRAIN_PAGE


def test_return_presses_the_focused_button(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.show_page(TRAIN_PAGE)
    predictions = window.train_page.dashboard.predictions
    with qtbot.waitSignal(predictions.showAllRequested, timeout=1000):
        QTest.keyClick(predictions.show_all_button, Qt.Key.Key_Return)
    section = window.train_page.settings_panel.sections["optimizer"]
    QTest.keyClick(section.button, Qt.Key.Key_Return)  # a tool button: the section opens
    assert section.is_expanded()
    QTest.keyClick(section.button, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert not section.is_expanded()


def test_tab_reaches_the_next_steps_after_train_and_return_presses_them(
    qtbot, tmp_path, trained_run_dir
):
    window = make_window(qtbot, tmp_path)
    run_dir = tmp_path / "workspace" / trained_run_dir.name
    shutil.copytree(trained_run_dir, run_dir)
    window.show_page(TRAIN_PAGE)
    model = str(run_dir / "model.safetensors")
    window.train_page.dashboard.on_event(
        RunFinished("completed", "Done.", str(run_dir), 2, 0.9, 1, model)
    )
    with qtbot.waitActive(window):
        window.activateWindow()
    steps = window.train_page.dashboard.next_steps
    seen = names_of(tab_stops(window, window.train_page.dashboard.train_button))
    wanted = ["trainButton", "nextClassifyButton", "nextOpenInRunsButton", "mistakesOnlyCheck"]
    assert _is_subsequence(wanted, seen), seen
    QTest.keyClick(steps.runs_button, Qt.Key.Key_Return)
    assert window.current_page() == RUNS_PAGE
    assert window.runs_view.selected_run_dirs() == [str(run_dir)]


def test_ctrl_tab_switches_the_dashboard_tabs(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.show_page(TRAIN_PAGE)
    tabs = window.train_page.dashboard.tabs
    QTest.keyClick(window.train_page.dashboard.matrix.table, Qt.Key.Key_Tab,
                   Qt.KeyboardModifier.ControlModifier)  # fmt: skip
    assert tabs.currentIndex() == 1


def test_return_on_a_matrix_cell_filters_the_predictions(qtbot, tmp_path):
    from gui.demo.demo_data import demo_class_names, demo_confusion, demo_predictions

    window = make_window(qtbot, tmp_path)
    window.show_page(TRAIN_PAGE)
    dashboard = window.train_page.dashboard
    names = demo_class_names(3)
    dashboard.predictions.set_predictions(demo_predictions(names, count=30))
    dashboard.matrix.set_matrix(demo_confusion(3, 0.8, seed=1), names)
    table = dashboard.matrix.table
    table.setFocus()
    table.setCurrentIndex(table.model().index(0, 1))
    QTest.keyClick(table, Qt.Key.Key_Return)
    assert dashboard.grid.proxy.true_index == 0 and dashboard.grid.proxy.pred_index == 1
    table.setCurrentIndex(table.model().index(2, 2))
    QTest.keyClick(table, Qt.Key.Key_Space)
    assert dashboard.grid.proxy.true_index == 2 and dashboard.grid.proxy.pred_index == 2


def test_shift_f10_opens_the_context_menu_at_the_current_item(qtbot, tmp_path):
    from core.infer.results import ClassifiedImage
    from gui.classify.classify_job import ResultsBatch

    window = make_window(qtbot, tmp_path)
    window.show_page(CLASSIFY_PAGE)
    grid = window.classify_view.results_view
    top = (("cat", 0.9), ("dog", 0.1))
    results = [ClassifiedImage(f"/photos/img_{i}.jpg", "cat", 0.9, top) for i in range(4)]
    window.classify_view.on_event(ResultsBatch(results=results))
    qtbot.waitUntil(lambda: grid.visualRect(grid.model().index(3, 0)).isValid())
    grid.customContextMenuRequested.disconnect()  # the real menu would wait for a choice
    asked = []
    grid.customContextMenuRequested.connect(asked.append)
    grid.setCurrentIndex(grid.model().index(2, 0))
    QTest.keyClick(grid, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(grid, Qt.Key.Key_Menu)
    cell = grid.visualRect(grid.model().index(2, 0))
    assert len(asked) == 2 and all(cell.contains(point) for point in asked)
    window.classify_view.shutdown()


def test_space_and_return_open_a_misclassified_test_image(qtbot, tmp_path):
    from gui.runs.test_view import TestView

    mistakes = [
        {"path": f"/nowhere/{name}.jpg", "label": "cat", "predicted": "dog", "confidence": 0.9}
        for name in ("a", "b")
    ]
    report = {"class_names": ["cat", "dog"], "confusion_matrix": [[1, 2], [0, 3]],
              "per_class": {}, "misclassified": mistakes}  # fmt: skip
    (tmp_path / "test_report").mkdir()
    (tmp_path / "test_report" / "report.json").write_text(json.dumps(report))
    view = TestView()
    qtbot.addWidget(view)
    view.show_run(str(tmp_path))
    text = view.mistakes.item(0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert text == "a.jpg: true cat, predicted dog 90 %"
    view.mistakes.setCurrentRow(1)
    QTest.keyClick(view.mistakes, Qt.Key.Key_Space)
    assert view._detail.title.text() == "b.jpg"
    view.mistakes.setCurrentRow(0)
    QTest.keyClick(view.mistakes, Qt.Key.Key_Return)
    assert view._detail.title.text() == "a.jpg"


def test_dialogs_have_a_default_button_and_close_on_escape(qtbot, tmp_path, trained_run_dir):
    from core.infer.results import ClassifiedImage
    from gui.classify.sort_dialog import SortDialog
    from gui.data.sample_dialog import SampleDatasetDialog
    from gui.runs.export_dialog import ExportDialog

    window = make_window(qtbot, tmp_path)
    sample = SampleDatasetDialog(window)
    export = ExportDialog(str(trained_run_dir), window)
    sort = SortDialog([ClassifiedImage("/x/1.jpg", "cat", 0.9, (("cat", 0.9),))], parent=window)
    defaults = {sample: sample.get_button, export: export.export_button, sort: sort.sort_button}
    for dialog, button in defaults.items():
        qtbot.addWidget(dialog)
        dialog.show()
        assert button.isDefault(), dialog.objectName()
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
        assert not dialog.isVisible(), dialog.objectName()
    for dialog in (window.show_about(), window.show_shortcuts(), window.show_quick_start()):
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
        assert not dialog.isVisible(), dialog.objectName()


def test_return_on_a_class_of_the_image_shown_large_asks_why(qtbot, tmp_path):
    from gui.widgets.image_detail import ImageDetailDialog

    detail = ImageDetailDialog()
    qtbot.addWidget(detail)
    asked = []
    detail.why.explain_class = asked.append
    detail.show_prediction(str(tmp_path / "gone.png"), "gone.png", [("cat", 0.6), ("dog", 0.4)])
    table = detail.top_k_table
    assert table.focusPolicy() & Qt.FocusPolicy.TabFocus  # reachable by Tab
    table.setCurrentIndex(table.model().index(1, 0))
    QTest.keyClick(table, Qt.Key.Key_Return)
    assert asked == ["dog"]


def test_the_keyboard_focus_survives_the_empty_state_going(qtbot, tmp_path, shapes_dataset):
    # "Try a sample dataset" from the keyboard: once the dataset shows, its button is gone and
    # the focus used to go with it (nothing focused until the next Tab).
    window = make_window(qtbot, tmp_path)
    with qtbot.waitActive(window):
        window.activateWindow()
    view = window.dataset_view
    view.empty_state.try_button.setFocus()
    assert QApplication.focusWidget() is view.empty_state.try_button
    window.load_dataset(str(shapes_dataset))
    qtbot.waitUntil(lambda: not view.is_scanning(), timeout=20_000)
    assert QApplication.focusWidget() is view.check_button
