"""Loupe's main window: four pages (Data, Train, Runs, Classify) behind a navigation list,
the menus, the device line in the status bar, and the wiring between the pages.

torch is never imported here: TorchLoader brings it in on a thread; each page runs its own
work as gui.jobs jobs. The GUI thread only moves plain event objects into widgets."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from core.events import RunFinished
from core.train.launch import ALL_GPUS, WORKER_DEVICE
from gui.about_dialog import AboutDialog
from gui.classify.classify_view import ClassifyView
from gui.collector import freeze_long_lived_objects
from gui.data.dataset_view import DatasetView
from gui.data.sample_dialog import SampleDatasetDialog, open_sample_dialog
from gui.help_dialogs import HelpDialog, quick_start_html, shortcuts_html
from gui.navigation import CLASSIFY_PAGE, DATA_PAGE, PAGES, RUNS_PAGE, TRAIN_PAGE, PageNavigation
from gui.runs.runs_view import RunsView
from gui.settings_store import SettingsStore
from gui.torch_loader import TorchLoader
from gui.train.train_page import CLOSE_TIMEOUT_S, TrainPage
from gui.widgets.accessible import enter_clicks_buttons
from gui.widgets.questions import ask_yes_no
from gui.window_menus import build_menus
from gui.window_size import (
    content_minimum,
    default_window_size,
    minimum_window_size,
    scrolling_pages,
)

# The page indexes are part of the window's interface (show_page, current_page).
__all__ = ["CLASSIFY_PAGE", "DATA_PAGE", "RUNS_PAGE", "TRAIN_PAGE", "MainWindow"]


class MainWindow(QMainWindow):
    def __init__(self, settings: SettingsStore | None = None, load_torch: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Loupe")
        self.setAcceptDrops(True)
        self.settings = settings or SettingsStore()
        self.torch_info: dict[str, Any] | None = None
        self.workspace = self.settings.workspace()
        self._closing = False
        # Tests replace this to answer "stop the work and close?" without a dialog.
        self.confirm_close = self._ask_close

        self.loader = TorchLoader(self)
        self.loader.deviceDetected.connect(self._on_loader_device_detected)
        self.loader.loaded.connect(self._on_loader_loaded)
        self.loader.failed.connect(self._on_loader_failed)

        self._build_pages()
        self._build_menus()
        self._build_status_bar()
        enter_clicks_buttons(self)  # a keyboard user presses the focused button with Return
        self._restore_settings()
        # After the window has its size: a smaller saved one grows to the minimum.
        self.setMinimumSize(self.minimum_size())
        if load_torch:
            # After the first paint: the window must not wait for torch.
            QTimer.singleShot(0, self._start_loader)

    # -- building ---------------------------------------------------------------------------

    def _build_pages(self) -> None:
        self.dataset_view = DatasetView()
        self.train_page = TrainPage()
        self.runs_view = RunsView()
        self.classify_view = ClassifyView()

        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        for widget in (self.dataset_view, self.train_page, self.runs_view, self.classify_view):
            self.pages.addWidget(widget)

        self.nav = PageNavigation()
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        # A passing message speaks of the page it was said on ("completed — best validation
        # accuracy 81 %" under the Classify page's other model read as that model's result).
        self.nav.currentRowChanged.connect(lambda _row: self.statusBar().clearMessage())

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        self.page_scroll = scrolling_pages(self.pages)
        row.addWidget(self.page_scroll, 1)
        self.setCentralWidget(central)
        self._connect_pages()

    def _connect_pages(self) -> None:
        train = self.train_page
        self.dataset_view.scanStarted.connect(train.on_scan_started)
        self.dataset_view.datasetLoaded.connect(self._on_dataset_loaded)
        self.dataset_view.datasetFailed.connect(self._on_dataset_failed)
        self.dataset_view.retrainRequested.connect(self._on_retrain_requested)
        train.settingsChanged.connect(self._on_train_settings_changed)
        train.runStarted.connect(self._on_train_run_started)
        train.runFinished.connect(self._on_train_run_finished)
        train.dashboard.next_steps.classifyRequested.connect(self._on_classify_with_run)
        train.dashboard.next_steps.openInRunsRequested.connect(self._on_open_in_runs_requested)
        self.runs_view.resumeRequested.connect(self._on_resume_requested)
        self.runs_view.classifyWithRun.connect(self._on_classify_with_run)
        self.runs_view.workspaceChanged.connect(self._on_workspace_changed)
        self.classify_view.recentFoldersChanged.connect(self.settings.set_recent_classify_folders)
        self.classify_view.actions.sortsChanged.connect(self._on_classify_sorts_changed)
        # Images added to the dataset from Classify (or a sort undone there): fresh counts.
        self.classify_view.actions.filesChanged.connect(self.dataset_view.files_changed)

    def _build_menus(self) -> None:
        build_menus(
            self,
            open_dataset=self._on_open_dataset_triggered,
            choose_workspace=self._on_choose_workspace_triggered,
            show_page=self.show_page,
            show_about=self.show_about,
            show_quick_start=self.show_quick_start,
            show_shortcuts=self.show_shortcuts,
            get_sample=self.show_sample_dialog,
        )
        self.dataset_view.empty_state.sampleRequested.connect(
            lambda: self.show_sample_dialog("demo", start=True)
        )

    def _build_status_bar(self) -> None:
        self.device_label = QLabel("Detecting device…")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setToolTip("The device training uses when set to Auto")
        self.statusBar().addPermanentWidget(self.device_label)

    def minimum_size(self) -> QSize:
        """The smallest size at which every page is whole (gui.window_size)."""
        available = self.screen().availableGeometry().size()
        return minimum_window_size(content_minimum(self, self.nav, self.pages), available)

    # -- settings ---------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(default_window_size(self.screen().availableGeometry().size()))
        state = self.settings.splitter_state("train")
        if state is not None:
            self.train_page.splitter.restoreState(state)
        self.train_page.settings_panel.restore(self.settings.model_settings())
        self.dataset_view.set_recent(self.settings.recent_datasets())
        self.classify_view.set_recent(self.settings.recent_classify_folders())
        self.classify_view.page.restore_sorts(self.settings.recent_sorts())
        self._on_train_settings_changed()
        self._set_workspace(self.workspace)
        model = self.settings.classify_model()
        if model and os.path.exists(model):
            # The last session's model; a model trained now is still preselected over it.
            self.classify_view.set_model(model, by_user=False)
        last = self.settings.last_dataset()
        page = self.settings.current_page()
        self.show_page(page if 0 <= page < len(PAGES) else DATA_PAGE)
        if last and os.path.isdir(last):
            self.dataset_view.load(last)

    def save_settings(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_splitter_state("train", self.train_page.splitter.saveState())
        self.settings.set_current_page(self.pages.currentIndex())
        self.settings.set_model_settings(self.train_page.settings_state())
        self.settings.set_recent_datasets(self.dataset_view.recent())
        self.settings.set_workspace(self.workspace)
        self.settings.set_classify_model(self.classify_view.model_path())
        self._on_classify_sorts_changed()
        self.settings.sync()

    def _on_classify_sorts_changed(self) -> None:
        self.settings.set_recent_sorts(self.classify_view.page.saved_sorts())

    def _set_workspace(self, path: str) -> None:
        self.workspace = path
        self.settings.set_workspace(path)
        self.train_page.set_workspace(path)
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

    def show_quick_start(self) -> HelpDialog:
        dialog = HelpDialog(self, "Quick start", quick_start_html())
        dialog.open()
        return dialog

    def show_shortcuts(self) -> HelpDialog:
        dialog = HelpDialog(self, "Keyboard shortcuts", shortcuts_html(self))
        dialog.open()
        return dialog

    def show_sample_dialog(self, name: str = "demo", start: bool = False) -> SampleDatasetDialog:
        """File → Get a sample dataset…; the written dataset opens on the Data page."""
        return open_sample_dialog(self, self.load_dataset, name, start)

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
        self.train_page.on_dataset_loaded(path, report)
        self.statusBar().showMessage(f"Dataset: {path}", 5000)

    def _on_dataset_failed(self, message: str) -> None:
        self.train_page.on_dataset_failed()
        self.statusBar().showMessage(message, 10000)

    def _on_retrain_requested(self) -> None:
        """The dataset check corrected files: a new run with the Train page's settings."""
        self.show_page(TRAIN_PAGE)
        self.train_page.dashboard.trainRequested.emit()

    def _on_train_settings_changed(self) -> None:
        # The Data page previews the same train/val split the run will use.
        config = self.train_page.settings_panel.build_config("", "")
        self.dataset_view.set_scan_options(config.val_split, config.seed)
        # Classify where training would run; on one of them when training takes every GPU.
        device = WORKER_DEVICE if config.device == ALL_GPUS else config.device
        self.classify_view.set_device(device)

    def _on_classify_with_run(self, run_dir: str) -> None:
        self.classify_view.set_model(run_dir)
        self.show_page(CLASSIFY_PAGE)
        # the next thing to do there: choose the images, or classify the ones chosen before
        view = self.classify_view
        (view.classify_button if view.folder() else view.folder_edit).setFocus()

    def _on_open_in_runs_requested(self, run_dir: str) -> None:
        self.runs_view.refresh()  # the run just trained may not be listed yet
        self.runs_view.select_runs([run_dir])
        self.show_page(RUNS_PAGE)

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
        self.train_page.set_torch_info(info)
        freeze_long_lived_objects(collect_first=False)  # torch's: never garbage, costly to walk

    def _on_loader_failed(self, message: str) -> None:
        self.device_label.setText("PyTorch unavailable")
        self.train_page.torch_failed(message)

    # -- training ---------------------------------------------------------------------------

    def _on_resume_requested(self, run_dir: str, epochs: int, unlabelled: str | None) -> None:
        if self.train_page.resume_run(run_dir, epochs, unlabelled):
            self.runs_view.note_extending(run_dir, epochs)

    def _on_train_run_started(self) -> None:
        self.classify_view.release_model()  # its GPU memory belongs to the run now
        self.settings.set_model_settings(self.train_page.settings_state())
        self.show_page(TRAIN_PAGE)

    def _on_train_run_finished(self, event: RunFinished) -> None:
        self.statusBar().showMessage(self.train_page.dashboard.status_label.text(), 15000)
        self.runs_view.refresh()
        self.classify_view.set_workspace(self.workspace)  # list the new model there too
        if event.model_path:
            self.classify_view.offer_trained_model(event.run_dir)

    # -- closing ----------------------------------------------------------------------------

    def _close_question(self) -> str:
        """What closing now would interrupt ('' when nothing)."""
        if self.train_page.is_running():
            return (
                "A training run is in progress. Stop it and close Loupe?\n\n"
                "The best model so far is kept in its run folder."
            )
        if self.classify_view.is_running():
            return self.classify_view.page.close_question(
                self.classify_view.results_model.rowCount()
            )
        return ""

    def _ask_close(self) -> bool:
        return ask_yes_no(self, "Loupe is working", self._close_question())

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing:
            event.accept()
            return
        if self._close_question():
            if not self.confirm_close():
                event.ignore()
                return
            self.statusBar().showMessage("Stopping…")
            self.setEnabled(False)  # events are processed while waiting: no new clicks
            self.train_page.shutdown(CLOSE_TIMEOUT_S)
        self._closing = True
        self.save_settings()
        self.hide()
        for view in (self.dataset_view, self.runs_view, self.classify_view):
            if hasattr(view, "shutdown"):  # pages that own threads stop them here
                view.shutdown()
        self.loader.shutdown()  # a torch import cannot be interrupted: wait for it
        self.train_page.end_standby()
        event.accept()
