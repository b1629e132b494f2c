"""Window-level promises: automation names are unique, failures are reported, the banner and
the Train button follow the state, a resumed run shows its history."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject

from tests.core.image_factory import make_shapes_dataset
from tests.gui.helpers import make_window, shapes_dataset, tiny_config, trained_run_dir

CONTRACT_NAMES = [
    "datasetPathEdit",
    "archCombo",
    "epochsSpin",
    "batchSizeSpin",
    "learningRateSpin",
    "imageSizeSpin",
    "optimizerCombo",
    "deviceCombo",
    "trainButton",
    "pauseButton",
    "stopButton",
    "lossPlot",
    "accuracyPlot",
    "predictionGrid",
    "confusionMatrix",
    "runsList",
    "statusLabel",
    "classifyModelCombo",
    "classifyFolderEdit",
    "classifyButton",
    "cancelClassifyButton",
    "resultsView",
    "classFilterCombo",
    "exportCsvButton",
    "sortButton",
    "undoSortButton",
]


def test_every_contract_name_is_found_exactly_once(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    counts = {name: len(window.findChildren(QObject, name)) for name in CONTRACT_NAMES}
    assert {n: c for n, c in counts.items() if c != 1} == {}
    # The Runs page's copies have their own names.
    for name in ("runLossPlot", "runAccuracyPlot", "runLrPlot", "runConfusionMatrix"):
        assert window.runs_view.findChild(QObject, name) is not None, name
    assert window.runs_view.findChild(QObject, "classifyWithRunButton") is not None
    # findChild finds the dashboard's plots and the Classify page's button.
    assert window.findChild(QObject, "lossPlot") is window.train_page.dashboard.plots.loss_plot
    assert window.findChild(QObject, "classifyButton") is window.classify_view.classify_button


def test_a_run_that_fails_at_once_is_reported(qtbot, tmp_path, monkeypatch):
    """The worker's signals are connected before its thread starts: even when the GUI thread
    is slow right after start(), the failure reaches the status label."""
    window = make_window(qtbot, tmp_path)
    start = window.train_page.runner.start

    def slow_start(*args, **kwargs):
        worker = start(*args, **kwargs)
        time.sleep(0.3)  # the run fails meanwhile
        return worker

    monkeypatch.setattr(window.train_page.runner, "start", slow_start)

    def failing_fit(config, control):
        raise RuntimeError("broken at once")
        yield  # a generator, like core.train.loop.fit

    window.train_page.start_training(
        tiny_config(tmp_path, tmp_path / "workspace" / "run"), fit=failing_fit
    )
    qtbot.waitSignal(window.train_page.runEnded, timeout=10_000).wait()
    qtbot.waitUntil(
        lambda: "failed" in window.train_page.dashboard.status_label.text(), timeout=5000
    )
    assert "broken at once" in window.train_page.dashboard.log.toPlainText()


def _load(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.dataset_view.datasetLoaded, timeout=20_000):
        window.load_dataset(str(path))


def test_cannot_start_banner_goes_once_the_settings_are_fixed(
    qtbot, tmp_path, shapes_dataset, monkeypatch
):
    window = make_window(qtbot, tmp_path)
    _load(qtbot, window, shapes_dataset)
    panel, banner = window.train_page.settings_panel, window.train_page.dashboard.error_banner
    problems = ["first thing", "second thing"]
    monkeypatch.setattr(panel, "problems", lambda data_dir=None: list(problems))
    window.train_page.dashboard.train_button.click()
    assert not banner.isHidden() and "second thing" in banner.text()
    assert not window.train_page.runner.is_running()
    problems.pop()
    panel.changed.emit()
    assert not banner.isHidden() and "second thing" not in banner.text()
    problems.clear()
    panel.changed.emit()
    assert banner.isHidden()


def test_train_during_a_new_scan_explains_instead_of_training_the_old_dataset(
    qtbot, tmp_path, shapes_dataset, monkeypatch
):
    import gui.data.dataset_scan as dataset_scan_module

    window = make_window(qtbot, tmp_path)
    _load(qtbot, window, shapes_dataset)
    release = threading.Event()
    real_scan = dataset_scan_module.scan_dataset

    def slow_scan(*args, **kwargs):
        release.wait(10)
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(dataset_scan_module, "scan_dataset", slow_scan)
    other = make_shapes_dataset(tmp_path / "other", per_class=4, size=24)
    window.load_dataset(str(other))
    assert window.dataset_view.is_scanning()
    window.train_page.dashboard.train_button.click()
    banner = window.train_page.dashboard.error_banner
    try:
        assert not window.train_page.runner.is_running()
        assert not banner.isHidden() and "still being checked" in banner.text()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.dataset_view.is_scanning(), timeout=20_000)
    assert banner.isHidden()


def test_a_resumed_run_starts_with_its_curves_so_far(qtbot, tmp_path, trained_run_dir):
    run_dir = tmp_path / "workspace" / trained_run_dir.name
    shutil.copytree(trained_run_dir, run_dir)
    window = make_window(qtbot, tmp_path)
    release = threading.Event()

    def waiting_fit(config, control):
        release.wait(10)  # no event yet: what the plots show comes from the run folder
        yield from ()

    config = tiny_config(tmp_path / "data", run_dir, epochs=4, resume=True)
    try:
        window.train_page.start_training(config, fit=waiting_fit)
        curves = window.train_page.dashboard.plots.curves
        assert list(curves["val_acc"].xData) == [1.0, 2.0]  # the two epochs already trained
        assert len(curves["train_loss_raw"].xData) > 0
    finally:
        release.set()
    qtbot.waitSignal(window.train_page.runEnded, timeout=10_000).wait()


def test_a_passing_status_message_goes_when_another_page_is_shown(qtbot, tmp_path):
    from gui.main_window import CLASSIFY_PAGE, DATA_PAGE

    window = make_window(qtbot, tmp_path)
    window.show_page(DATA_PAGE)
    window._on_dataset_failed("Dataset folder not found: /nowhere")
    window.show_page(DATA_PAGE)  # the same page: the message stays
    assert window.statusBar().currentMessage() == "Dataset folder not found: /nowhere"
    window.show_page(CLASSIFY_PAGE)
    assert window.statusBar().currentMessage() == ""
