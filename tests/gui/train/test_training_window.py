"""The main window end to end: choose a dataset, train (in a child process: the window's own
process never runs the training loop), pause/stop, close while training, errors in the
window, settings remembered, responsiveness."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLineEdit

from core.events import RunFinished
from gui.main_window import CLASSIFY_PAGE, DATA_PAGE, RUNS_PAGE, TRAIN_PAGE
from tests.core.image_factory import make_shapes_dataset
from tests.gui.helpers import (
    folder_drop,
    make_window,
    processes_mentioning,
    shapes_dataset,
    tiny_config,
    trained_run_dir,
)

FAST_VALUES = {"arch": "simple_cnn", "epochs": 2, "batch_size": 8, "image_size": 32}


def _fast_settings(window, monkeypatch, **values) -> None:
    """Set the Train page's controls for a run of a few seconds; cpu_threads and the grid
    sample count are not on the page, so they are forced on the built config."""
    panel = window.train_page.settings_panel
    panel.restore({"values": {**FAST_VALUES, **values}})
    build = panel.build_config

    def fast_build(data_dir: str, out_dir: str):
        return dataclasses.replace(build(data_dir, out_dir), cpu_threads=1, prediction_samples=12)

    monkeypatch.setattr(panel, "build_config", fast_build)


def _choose_dataset(qtbot, window, path: Path) -> None:
    edit = window.findChild(QLineEdit, "datasetPathEdit")
    edit.setText(str(path))
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.dataset_view.current_path() != "", timeout=20_000)


def _ready_to_train(qtbot, tmp_path, dataset: Path, monkeypatch, **values):
    """A window with `dataset` loaded and the fast settings (plus `values`) on the Train page."""
    window = make_window(qtbot, tmp_path)
    _choose_dataset(qtbot, window, dataset)
    _fast_settings(window, monkeypatch, **values)
    return window


def _wait_for_end(qtbot, window, timeout_ms: int = 60_000) -> None:
    qtbot.waitUntil(lambda: not window.train_page.runner.is_running(), timeout=timeout_ms)


def _points(window, name: str) -> int:
    x = window.train_page.dashboard.plots.curves[name].xData
    return 0 if x is None else len(x)


def _csv_rows(path: Path) -> int:
    with open(path, newline="") as f:
        return len(list(csv.DictReader(f)))


def _only_run_dir(window) -> Path:
    runs = [p for p in Path(window.workspace).iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def test_train_from_the_window_shows_curves_predictions_and_saves_the_model(
    qtbot,
    tmp_path,
    shapes_dataset,
    monkeypatch,
):
    window = _ready_to_train(qtbot, tmp_path, shapes_dataset, monkeypatch)

    def in_this_process(*_args, **_kwargs):
        raise AssertionError("the window's process ran the training loop")

    monkeypatch.setattr("core.train.loop.fit", in_this_process)
    qtbot.mouseClick(
        window.findChild(type(window.train_page.dashboard.train_button), "trainButton"),
        Qt.MouseButton.LeftButton,
    )
    assert window.current_page() == TRAIN_PAGE
    # PyTorch loads in the new process for a few seconds: the page says so meanwhile.
    assert window.train_page.dashboard.status_label.text() == "starting the training process…"
    _wait_for_end(qtbot, window)

    run_dir = _only_run_dir(window)
    assert re.fullmatch(r"\d{8}-\d{6}-shapes-simple_cnn", run_dir.name), run_dir.name
    # Trained by another process, which wrote the run folder's summary.
    assert json.loads((run_dir / "run.json").read_text())["pid"] != os.getpid()
    assert "Training in a separate process" in window.train_page.dashboard.log.toPlainText()
    assert (run_dir / "model.safetensors").is_file()
    status = window.train_page.dashboard.status_label.text()
    assert status.startswith("completed") and "best validation accuracy" in status, status
    # One validation point per epoch, one loss point per reported step (as logged on disk).
    qtbot.waitUntil(lambda: _points(window, "val_acc") == 2)
    steps = _csv_rows(run_dir / "steps.csv")
    qtbot.waitUntil(lambda: _points(window, "train_loss_raw") == steps)
    # The plots redraw in turns (gui.widgets.frame_pacer): the LR plot's turn may come later.
    qtbot.waitUntil(lambda: _points(window, "lr") == steps)
    assert steps > 0
    grid = window.train_page.dashboard.grid
    assert (
        grid.model().rowCount()
        == grid.source_model.rowCount()
        == min(12, len(grid.source_model.all_true))
    )
    assert not grid.model().index(0, 0).data(Qt.ItemDataRole.DecorationRole).isNull()
    assert window.train_page.dashboard.matrix.model().rowCount() == 3
    assert window.train_page.dashboard.error_banner.isHidden()
    assert "Completed 2 epochs" in window.train_page.dashboard.log.toPlainText()
    assert window.train_page.dashboard.train_button.isEnabled()
    assert window.train_page.settings_panel.isEnabled()


def test_pause_resume_and_stop_from_the_dashboard_keep_the_model(
    qtbot, tmp_path, shapes_dataset, monkeypatch
):
    window = _ready_to_train(qtbot, tmp_path, shapes_dataset, monkeypatch, epochs=500)
    dash = window.train_page.dashboard
    dash.train_button.click()
    qtbot.waitUntil(lambda: dash.progress.last_step is not None, timeout=30_000)
    dash.pause_button.click()
    assert dash.pause_button.text() == "Resume" and window.train_page.runner.control.paused
    assert dash.status_label.text() == "paused"
    qtbot.wait(300)
    held = dash.progress.last_step.global_step
    qtbot.wait(500)
    assert dash.progress.last_step.global_step <= held + 1  # at most the step already in flight
    dash.pause_button.click()
    assert dash.pause_button.text() == "Pause" and not window.train_page.runner.control.paused
    qtbot.waitUntil(lambda: dash.progress.last_step.global_step > held + 2, timeout=10_000)
    qtbot.waitUntil(lambda: _points(window, "val_acc") >= 1, timeout=30_000)
    qtbot.mouseClick(dash.stop_button, Qt.MouseButton.LeftButton)
    _wait_for_end(qtbot, window, 30_000)  # a loose bound: a step is milliseconds
    status = dash.status_label.text()
    assert status.startswith("stopped") and "kept the best model" in status, status
    run_dir = _only_run_dir(window)
    assert (run_dir / "model.safetensors").is_file()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "stopped"
    assert processes_mentioning(f"--out {run_dir}") == []  # the training process has ended


def test_closing_during_training_asks_then_stops_cleanly(
    qtbot,
    tmp_path,
    shapes_dataset,
    monkeypatch,
):
    window = _ready_to_train(qtbot, tmp_path, shapes_dataset, monkeypatch, epochs=500)
    window.train_page.dashboard.train_button.click()
    qtbot.waitUntil(
        lambda: window.train_page.dashboard.progress.last_step is not None, timeout=30_000
    )
    thread = window.train_page.runner.thread

    asked: list[bool] = []
    window.confirm_close = lambda: asked.append(False) or False
    assert not window.close()
    assert window.isVisible() and window.train_page.runner.is_running() and asked == [False]

    window.confirm_close = lambda: asked.append(True) or True
    assert window.close()  # returns once the worker has stopped (or its long timeout)
    assert asked == [False, True]
    assert not window.isVisible() and not window.train_page.runner.is_running()
    assert thread.isFinished()
    assert window.train_page.dashboard.status_label.text().startswith("stopped")
    run_dir = _only_run_dir(window)
    assert json.loads((run_dir / "run.json").read_text())["status"] == "stopped"
    assert processes_mentioning(f"--out {run_dir}") == []  # no process is left behind


def test_a_failing_run_shows_its_error_in_the_window(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    one_class = make_shapes_dataset(tmp_path / "one", classes=("circle",), per_class=6)
    window.train_page.start_training(tiny_config(one_class, tmp_path / "workspace" / "failed-run"))
    _wait_for_end(qtbot, window)
    dash = window.train_page.dashboard
    assert dash.status_label.text().startswith("failed")
    assert dash.error_banner.isVisible()
    assert "at least two classes" in dash.error_banner.text()
    assert "at least two classes" in dash.log.toPlainText()
    assert dash.tabs.currentWidget() is dash.log
    assert dash.train_button.isEnabled()


def test_train_without_a_dataset_explains_what_to_do(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.train_page.dashboard.train_button.click()
    assert not window.train_page.runner.is_running()
    assert not window.train_page.dashboard.error_banner.isHidden()
    assert "dataset folder" in window.train_page.dashboard.error_banner.text()


def test_an_auto_run_on_small_images_is_named_after_the_slim_loupe_net(
    qtbot, tmp_path, shapes_dataset, monkeypatch
):
    window = make_window(qtbot, tmp_path)
    _choose_dataset(qtbot, window, shapes_dataset)  # 32 px, few images: auto means loupe_net_slim
    window.train_page.settings_panel.restore({"values": {"arch": "auto"}})
    started = []
    monkeypatch.setattr(window.train_page, "start_training", started.append)
    window.train_page.dashboard.train_button.click()
    assert len(started) == 1 and started[0].arch == "auto"  # the engine still decides
    assert re.fullmatch(r"\d{8}-\d{6}-shapes-loupe_net_slim", Path(started[0].out_dir).name)


def test_settings_are_remembered_between_sessions(qtbot, tmp_path, shapes_dataset):
    first = make_window(qtbot, tmp_path)
    _choose_dataset(qtbot, first, shapes_dataset)
    first.train_page.settings_panel.restore({"values": {"epochs": 7, "batch_size": 24}})
    first.resize(1111, 777)
    first.show_page(TRAIN_PAGE)
    first.close()

    second = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: second.dataset_view.current_path() != "", timeout=20_000)
    assert Path(second.dataset_view.current_path()) == shapes_dataset
    config = second.train_page.settings_panel.build_config("x", "y")
    assert (config.epochs, config.batch_size) == (7, 24)
    # The offscreen screen is small, so Qt fits the restored width to it; the height shows
    # that the geometry came back.
    assert second.settings.geometry() is not None
    assert abs(second.height() - 777) <= 10, second.height()
    assert second.current_page() == TRAIN_PAGE
    assert second.workspace == str(tmp_path / "workspace")
    assert str(shapes_dataset) in second.dataset_view.recent()


def test_dropping_a_folder_loads_it_as_the_dataset(qtbot, tmp_path, shapes_dataset):
    window = make_window(qtbot, tmp_path)
    window.show_page(TRAIN_PAGE)
    window.dropEvent(folder_drop(shapes_dataset))
    assert window.current_page() == DATA_PAGE
    qtbot.waitUntil(lambda: window.dataset_view.current_path() != "", timeout=20_000)
    assert Path(window.dataset_view.current_path()) == shapes_dataset


def test_resume_and_classify_requests_from_the_runs_page(qtbot, tmp_path, trained_run_dir):
    window = make_window(qtbot, tmp_path)
    run_dir = Path(window.workspace) / trained_run_dir.name
    shutil.copytree(trained_run_dir, run_dir)
    window.runs_view.request_resume(str(run_dir), 3)
    assert window.current_page() == TRAIN_PAGE
    _wait_for_end(qtbot, window)
    assert window.train_page.dashboard.status_label.text().startswith("completed")
    assert _csv_rows(run_dir / "metrics.csv") == 3

    window.runs_view.classifyWithRun.emit(str(run_dir))
    assert window.current_page() == CLASSIFY_PAGE
    assert Path(window.classify_view.model_path()) == run_dir


def test_dashboard_filters_predictions_and_opens_the_detail_dialog(qtbot):
    from gui.demo.demo_data import demo_class_names, demo_epochs, demo_predictions
    from gui.train.training_dashboard import TrainingDashboard

    names = demo_class_names(4)
    dash = TrainingDashboard()
    qtbot.addWidget(dash)
    dash.show()
    epoch = demo_epochs(names, epochs=1)[0]
    dash._class_names = names
    dash.on_event(epoch)
    dash.on_event(demo_predictions(names, count=40))
    grid = dash.grid
    assert grid.model().rowCount() == 40

    dash.matrix.cellClicked.emit(1, 1)
    assert 0 < grid.model().rowCount() < 40
    assert "True" in dash.filter_label.text()
    dash.show_all_button.click()
    assert grid.model().rowCount() == 40

    index = grid.model().index(3, 0)
    qtbot.mouseClick(
        grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(index).center()
    )
    dialog = dash.detail_dialog()
    assert dialog is not None and dialog.isVisible()
    assert 1 <= len(dialog.top_k_rows()) <= 5
    dialog.close()


def test_menus_switch_pages_and_open_folders(qtbot, tmp_path):
    from PySide6.QtGui import QKeySequence

    window = make_window(qtbot, tmp_path)
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    view_actions = [a for a in menus["&View"].actions() if not a.isSeparator()]
    assert [a.text() for a in view_actions] == ["Data", "Train", "Runs", "Classify"]
    assert view_actions[2].shortcut() == QKeySequence("Ctrl+3")
    view_actions[2].trigger()
    assert window.current_page() == RUNS_PAGE
    view_actions[1].trigger()
    assert window.current_page() == TRAIN_PAGE
    file_texts = [a.text() for a in menus["&File"].actions() if not a.isSeparator()]
    assert file_texts == [
        "&Open dataset folder…",
        "Get a &sample dataset…",
        "Choose &workspace folder…",
        "&Quit",
    ]
    assert menus["&File"].actions()[0].shortcut() == QKeySequence(QKeySequence.StandardKey.Open)


def test_about_dialog_names_the_version(qtbot, tmp_path):
    from core import __version__

    window = make_window(qtbot, tmp_path)
    dialog = window.show_about()
    assert __version__ in dialog.findChild(type(window.device_label), "aboutTitle").text()
    assert "Qt" in dialog.versions.text()
    dialog.close()


def test_window_loads_torch_in_the_background(qtbot, tmp_path, monkeypatch):
    import sys

    from core.train import standby

    monkeypatch.setattr(standby, "START_AHEAD", True)
    import gui.main_window

    freezes: list[dict] = []
    monkeypatch.setattr(
        gui.main_window, "freeze_long_lived_objects", lambda **kw: freezes.append(kw)
    )
    window = make_window(qtbot, tmp_path, load_torch=True)
    # A stand-in for the next run's process, waiting as the real one does (without torch).
    window.train_page.standby = standby.Standby([sys.executable, "-c", "input()"])
    window.show_page(DATA_PAGE)
    assert window.device_label.text() == "Detecting device…" or window.torch_info
    qtbot.waitUntil(lambda: window.torch_info is not None, timeout=120_000)
    assert window.device_label.text() != "Detecting device…"
    assert window.train_page.settings_panel.archCombo.findData("resnet18") >= 0
    # torch's objects are frozen without a full collection on the GUI thread first (~250 ms)
    assert freezes == [{"collect_first": False}]
    assert not window.train_page.standby.ready()  # only a window used to train needs one
    window.show_page(TRAIN_PAGE)
    assert window.train_page.standby.ready()  # here to train: the next run's process waits
    window.close()
    assert not window.loader.is_running()
    assert not window.train_page.standby.ready()


def test_training_takes_back_the_classify_page_model_and_shares_its_device(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.train_page.settings_panel.restore({"values": {"device": "cpu"}})
    assert window.classify_view._device == "cpu"  # classification runs where training would
    kept = window.classify_view.kept_model
    kept._kept = ("folder", 0.0, "cpu", object())  # a model kept on a GPU
    one_class = make_shapes_dataset(tmp_path / "one", classes=("circle",), per_class=6)

    def failing_fit(config, control):  # what happens in the run does not matter here
        yield RunFinished("failed", "no", config.out_dir, 0, None, None, None)

    config = tiny_config(one_class, tmp_path / "workspace" / "failed-run")
    window.train_page.start_training(config, fit=failing_fit)
    assert kept._kept is None  # released for the run
    _wait_for_end(qtbot, window)


def test_the_image_size_hint_goes_when_the_dataset_path_becomes_invalid(
    qtbot, tmp_path, shapes_dataset
):
    window = make_window(qtbot, tmp_path)
    _choose_dataset(qtbot, window, shapes_dataset)
    hint = window.train_page.settings_panel.image_size_hint
    assert "Your images are" in hint.text() and not hint.isHidden()
    with qtbot.waitSignal(window.dataset_view.datasetFailed, timeout=20_000):
        window.load_dataset(str(tmp_path / "no such folder"))
    assert hint.isHidden() or "Your images" not in hint.text()
    assert window.train_page.model.dataset_path == ""  # Train now asks for a dataset
