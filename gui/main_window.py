"""Loupe's main window: four pages (Data, Train, Runs, Classify) behind a navigation list,
the device line in the status bar, and the one training run in progress.

torch is never imported here: TorchLoader brings it in on a thread, TrainWorker trains on
another. The GUI thread only moves plain event objects into widgets."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from core.train.config import TrainConfig
from gui.about_dialog import AboutDialog
from gui.classify.classify_view import ClassifyView
from gui.data.dataset_view import DatasetView
from gui.navigation import CLASSIFY_PAGE, DATA_PAGE, PAGES, RUNS_PAGE, TRAIN_PAGE, PageNavigation
from gui.runs.run_records import load_run
from gui.runs.runs_view import RunsView
from gui.settings_store import SettingsStore
from gui.torch_loader import TorchLoaderThread
from gui.train.model_settings import ModelSettingsPanel
from gui.train.train_worker import FitFunction, TrainRunner, TrainWorker, new_run_dir, resume_config
from gui.train.training_dashboard import TrainingDashboard
from gui.window_menus import build_menus

# The page indexes are part of the window's interface (show_page, current_page).
__all__ = ["CLASSIFY_PAGE", "DATA_PAGE", "RUNS_PAGE", "TRAIN_PAGE", "MainWindow"]

CLOSE_TIMEOUT_S = 20.0  # a CPU step of a big model can take seconds; after this we still wait


class MainWindow(QMainWindow):
    def __init__(self, settings: SettingsStore | None = None, load_torch: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Loupe")
        self.setAcceptDrops(True)
        self.settings = settings or SettingsStore()
        self.torch_info: dict[str, Any] | None = None
        # The last scanned dataset (path, DatasetReport): names the folder of an "auto" run.
        self._dataset_scan: tuple[str, Any] | None = None
        self.workspace = self.settings.workspace()
        self._closing = False
        # Why Train refused, while that is on the banner: "problems" (settings: it goes once
        # they are fixed), "dataset" (none or still scanning: it goes once one is loaded).
        self._banner_reason = ""
        # Tests replace this to answer "stop the run and close?" without a dialog.
        self.confirm_close = self._ask_close_during_training

        self.runner = TrainRunner(self)
        self.runner.ended.connect(self._on_runner_ended)
        self.loader = TorchLoaderThread(self)
        self.loader.loader.deviceDetected.connect(self._on_loader_device_detected)
        self.loader.loader.loaded.connect(self._on_loader_loaded)
        self.loader.loader.failed.connect(self._on_loader_failed)

        self._build_pages()
        self._build_menus()
        self._build_status_bar()
        self._restore_settings()
        if load_torch:
            # After the first paint: the window must not wait for torch.
            QTimer.singleShot(0, self._start_loader)

    # -- building ---------------------------------------------------------------------------

    def _build_pages(self) -> None:
        self.dataset_view = DatasetView()
        self.settings_panel = ModelSettingsPanel()
        self.dashboard = TrainingDashboard()
        self.runs_view = RunsView()
        self.classify_view = ClassifyView()

        settings_scroll = QScrollArea()
        settings_scroll.setObjectName("settingsScroll")
        settings_scroll.setWidget(self.settings_panel)
        settings_scroll.setWidgetResizable(True)
        settings_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        settings_scroll.setMinimumWidth(320)
        self.train_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.train_splitter.setObjectName("trainSplitter")
        self.train_splitter.addWidget(settings_scroll)
        self.train_splitter.addWidget(self.dashboard)
        self.train_splitter.setStretchFactor(0, 0)
        self.train_splitter.setStretchFactor(1, 1)
        self.train_splitter.setSizes([360, 1200])
        self.train_splitter.setChildrenCollapsible(False)

        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        for widget in (self.dataset_view, self.train_splitter, self.runs_view, self.classify_view):
            self.pages.addWidget(widget)

        self.nav = PageNavigation()
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.dataset_view.datasetLoaded.connect(self._on_dataset_loaded)
        self.dataset_view.datasetFailed.connect(self._on_dataset_failed)
        self.dashboard.trainRequested.connect(self._on_train_requested)
        self.dashboard.stopRequested.connect(self.runner.request_stop)
        self.dashboard.pauseRequested.connect(self._on_pause_requested)
        self.runs_view.resumeRequested.connect(self._on_resume_requested)
        self.runs_view.classifyWithRun.connect(self._on_classify_with_run)
        self.runs_view.workspaceChanged.connect(self._on_workspace_changed)
        self.classify_view.recentFoldersChanged.connect(self.settings.set_recent_classify_folders)
        self.settings_panel.changed.connect(self._on_settings_panel_changed)

    def _build_menus(self) -> None:
        build_menus(
            self,
            open_dataset=self._on_open_dataset_triggered,
            choose_workspace=self._on_choose_workspace_triggered,
            show_page=self.show_page,
            show_about=self.show_about,
        )

    def _build_status_bar(self) -> None:
        self.device_label = QLabel("Detecting device…")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setToolTip("The device training uses when set to Auto")
        self.statusBar().addPermanentWidget(self.device_label)

    # -- settings ---------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1440, 900)
        state = self.settings.splitter_state("train")
        if state is not None:
            self.train_splitter.restoreState(state)
        self.settings_panel.restore(self.settings.model_settings())
        self.dataset_view.set_recent(self.settings.recent_datasets())
        self.classify_view.set_recent(self.settings.recent_classify_folders())
        self._on_settings_panel_changed()
        self._set_workspace(self.workspace)
        last = self.settings.last_dataset()
        page = self.settings.current_page()
        self.show_page(page if 0 <= page < len(PAGES) else DATA_PAGE)
        if last and os.path.isdir(last):
            self.dataset_view.load(last)

    def save_settings(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_splitter_state("train", self.train_splitter.saveState())
        self.settings.set_current_page(self.pages.currentIndex())
        self.settings.set_model_settings(self.settings_panel.state())
        self.settings.set_recent_datasets(self.dataset_view.recent())
        self.settings.set_workspace(self.workspace)
        self.settings.sync()

    def _set_workspace(self, path: str) -> None:
        self.workspace = path
        self.settings.set_workspace(path)
        if self.runs_view.workspace() != path:
            self.runs_view.set_workspace(path)
        self.classify_view.set_workspace(path)

    # -- pages and dialogs ------------------------------------------------------------------

    def show_page(self, index: int) -> None:
        self.nav.setCurrentRow(index)

    def current_page(self) -> int:
        return self.pages.currentIndex()

    def show_about(self) -> AboutDialog:
        info = self.torch_info or {}
        dialog = AboutDialog(
            self,
            info.get("torch_version"),
            info.get("torchvision_version"),
            info.get("device_line"),
        )
        dialog.open()
        return dialog

    def load_dataset(self, path: str) -> None:
        """Open a dataset folder (menu, drop, tests): the Data page scans it off the GUI thread."""
        self.show_page(DATA_PAGE)
        self.dataset_view.load(path)

    def _on_open_dataset_triggered(self) -> None:
        start = self.dataset_view.current_path() or os.path.expanduser("~")
        path = QFileDialog.getExistingDirectory(
            self, "Dataset folder (one subfolder per class)", start
        )
        if path:
            self.load_dataset(path)

    def _on_choose_workspace_triggered(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Workspace folder for runs", self.workspace)
        if path:
            self._set_workspace(path)

    def _on_workspace_changed(self, path: str) -> None:
        if path and path != self.workspace:
            self._set_workspace(path)

    def _on_dataset_loaded(self, path: str, report: object) -> None:
        self.settings.set_last_dataset(path)
        self._dataset_scan = (path, report)
        self.settings_panel.set_dataset_report(report)
        self.statusBar().showMessage(f"Dataset: {path}", 5000)
        if self._banner_reason == "dataset":
            self._hide_refusal()

    def _on_settings_panel_changed(self) -> None:
        # The Data page previews the same train/val split the run will use.
        config = self.settings_panel.build_config("", "")
        self.dataset_view.set_scan_options(config.val_split, config.seed)
        if self._banner_reason == "problems":
            problems = self.settings_panel.problems(self.dataset_view.current_path())
            if problems:
                self._show_problems(problems)  # what is left to fix
            else:
                self._hide_refusal()

    def _show_refusal(self, reason: str, text: str) -> None:
        self.dashboard.show_error(text)
        self._banner_reason = reason

    def _show_problems(self, problems: list[str]) -> None:
        self._show_refusal("problems", "Cannot start training:\n• " + "\n• ".join(problems))

    def _hide_refusal(self) -> None:
        self._banner_reason = ""
        self.dashboard.hide_error()

    def _on_dataset_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    def _on_classify_with_run(self, run_dir: str) -> None:
        self.classify_view.set_model(run_dir)
        self.show_page(CLASSIFY_PAGE)

    # -- drag and drop a dataset folder -----------------------------------------------------

    @staticmethod
    def _dropped_folder(event: QDragEnterEvent | QDropEvent) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        folders = [
            u.toLocalFile() for u in urls if u.isLocalFile() and os.path.isdir(u.toLocalFile())
        ]
        return folders[0] if folders else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_folder(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        folder = self._dropped_folder(event)
        if folder:
            event.acceptProposedAction()
            self.load_dataset(folder)

    # -- torch loading ----------------------------------------------------------------------

    def _start_loader(self) -> None:
        if not self._closing:
            self.loader.start()

    def _on_loader_device_detected(self, line: str) -> None:
        self.device_label.setText(line)

    def _on_loader_loaded(self, info: dict) -> None:
        self.torch_info = info
        self.device_label.setText(info.get("device_line", self.device_label.text()))
        self.device_label.setToolTip(
            f"PyTorch {info.get('torch_version')}, loaded in {info.get('seconds', 0):.1f} s"
        )
        self.settings_panel.set_devices(info["devices"])
        self.settings_panel.set_architectures(info["architectures"])

    def _on_loader_failed(self, message: str) -> None:
        self.device_label.setText("PyTorch unavailable")
        self._show_refusal("torch", message)

    # -- training ---------------------------------------------------------------------------

    def _on_train_requested(self) -> None:
        if self.runner.is_running():
            return
        self._banner_reason = ""
        if self.dataset_view.is_scanning():
            # current_path() is still the previous dataset: training it would surprise.
            self._show_refusal(
                "dataset",
                "The dataset is still being checked on the Data page: press Train again "
                "once the scan has finished.",
            )
            return
        data_dir = self.dataset_view.current_path()
        if not data_dir:
            self._show_refusal(
                "dataset",
                "Choose a dataset folder first: on the Data page, with File ▸ Open, or by "
                "dropping a folder onto the window.",
            )
            return
        problems = self.settings_panel.problems(data_dir)
        if problems:
            self._show_problems(problems)
            return
        config = self.settings_panel.build_config(data_dir, "")
        scan = self._dataset_scan
        report = scan[1] if scan is not None and scan[0] == data_dir else None
        config = dataclasses.replace(
            config, out_dir=new_run_dir(self.workspace, data_dir, config.arch, report)
        )
        self.settings.set_model_settings(self.settings_panel.state())
        self.start_training(config)

    def start_training(self, config: TrainConfig, fit: FitFunction | None = None) -> TrainWorker:
        """Start a run (the Train button, Resume from the Runs page, tests with a fake fit)."""
        d = self.dashboard
        self._banner_reason = ""  # the run's own banner (a failure) must stay

        def connect(worker: TrainWorker) -> None:
            # Before the thread starts: a run that fails at once must still be reported.
            worker.runStarted.connect(d.on_run_started)
            worker.logMessage.connect(d.on_log_message)
            worker.stepEnded.connect(d.on_step_ended)
            worker.epochEnded.connect(d.on_epoch_ended)
            worker.predictionsSampled.connect(d.on_predictions_sampled)
            worker.checkpointSaved.connect(d.on_checkpoint_saved)
            worker.runFinished.connect(d.on_run_finished)
            worker.runFinished.connect(self._on_run_finished)

        # A resumed run continues its curves: read them before the run appends to the files.
        history = load_run(config.out_dir) if config.resume else None
        worker = self.runner.start(config, fit=fit, connect=connect)
        verb = "Resuming" if config.resume else "Training on"
        d.start_run(f"{verb} {config.data_dir} → {config.out_dir}")
        if history is not None:
            d.plots.set_history(history.steps, history.metrics)
        self.settings_panel.setEnabled(False)  # edits would not reach the running engine
        self.show_page(TRAIN_PAGE)
        return worker

    def _on_pause_requested(self, paused: bool) -> None:
        if paused:
            self.runner.pause()
        else:
            self.runner.resume()

    def _on_run_finished(self, ev: object) -> None:
        # The thread ends a moment after its last event: Train waits for that (runner.ended).
        self.dashboard.train_button.setEnabled(not self.runner.is_running())
        self.statusBar().showMessage(self.dashboard.status_label.text(), 15000)
        self.runs_view.refresh()
        self.classify_view.set_workspace(self.workspace)  # offer the new model there too

    def _on_runner_ended(self) -> None:
        self.dashboard.set_running(False)
        self.settings_panel.setEnabled(True)

    def _on_resume_requested(self, run_dir: str, epochs: int) -> None:
        if self.runner.is_running():
            self.dashboard.show_error("Stop the current run before resuming another one.")
            self.show_page(TRAIN_PAGE)
            return
        try:
            config = resume_config(run_dir, epochs)
        except (OSError, ValueError, TypeError) as exc:
            self.dashboard.show_error(
                f"Cannot resume {run_dir}: config.json is unreadable ({exc})."
            )
            self.show_page(TRAIN_PAGE)
            return
        self.start_training(config)

    # -- closing ----------------------------------------------------------------------------

    def _ask_close_during_training(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Training in progress",
            "A training run is in progress. Stop it and close Loupe?\n\n"
            "The best model so far is kept in its run folder.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing:
            event.accept()
            return
        if self.runner.is_running():
            if not self.confirm_close():
                event.ignore()
                return
            self.statusBar().showMessage("Stopping the training run…")
            self.setEnabled(False)  # events are processed while waiting: no new clicks
            self.runner.shutdown(CLOSE_TIMEOUT_S)
        self._closing = True
        self.save_settings()
        self.hide()
        for view in (self.dataset_view, self.runs_view, self.classify_view):
            if hasattr(view, "shutdown"):  # pages that own threads stop them here
                view.shutdown()
        self.loader.shutdown()  # a torch import cannot be interrupted: wait for it
        event.accept()
