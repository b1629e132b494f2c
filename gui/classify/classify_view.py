"""The Classify page: choose a model and a folder, classify it in the background, browse the
results as a filterable thumbnail grid, export them, sort the files into class folders.

Importing this module does not import torch: the model's description is read from its
model.json; the images are classified in another process (classify_job, kept_model)."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.infer.results import ClassifiedImage, UnreadableImage
from gui.classify.add_to_dataset_menu import AddToDatasetMenu
from gui.classify.classify_inputs import FolderChooser, ModelChooser, is_model_path
from gui.classify.classify_job import ImagesListed, ModelLoaded, ResultsBatch, classify_job
from gui.classify.classify_page_model import ClassifyPageModel
from gui.classify.kept_model import KeptModel
from gui.classify.progress_row import ProgressRow
from gui.classify.results_actions import ResultsActions
from gui.classify.results_filter import ResultsFilterModel
from gui.classify.results_filter_bar import ResultsFilterBar
from gui.classify.results_model import ResultsModel
from gui.classify.results_view import ResultsView, UnreadableFiles
from gui.classify.sort_dialog import SortDialog
from gui.classify.undo_sort_button import UndoSortButton
from gui.jobs import JobEnded, JobRunner
from gui.widgets.accessible import form_label_for
from gui.widgets.image_detail import ImageDetailDialog
from gui.widgets.roles import set_role
from gui.widgets.thumbnail_cache import ThumbnailCache


class ClassifyView(QWidget):
    """`set_workspace(path)`, `set_model(path)`, `set_folder(path)`, `start()`, `cancel()`,
    `export_csv(path)`, `export_json(path)`, `open_sort_dialog()`, `undo_last_sort()`,
    `shutdown()` (call before the app quits). Signals: `classificationFinished(status,
    message)`, `recentFoldersChanged(list)`."""

    classificationFinished = Signal(str, str)  # "finished" | "stopped" | "failed", message
    recentFoldersChanged = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classifyView")
        self.setAcceptDrops(True)
        self.page = ClassifyPageModel()
        self.kept_model = KeptModel()  # the classification process and its loaded model
        self._device = "auto"  # the Train page's device (set by the window)
        self._classified_folder = ""
        self._classified_model = ""
        self._detail: ImageDetailDialog | None = None

        self.thumbnails = ThumbnailCache(parent=self)
        self.results_model = ResultsModel(self.thumbnails, self)
        self.proxy = ResultsFilterModel(self.results_model, self)
        self.runner = JobRunner(self, name="classify")
        self.actions = ResultsActions(self)
        self._build()
        self.add_to_dataset = AddToDatasetMenu(self.actions)  # the results' context menu
        self._connect()
        self._update_buttons()

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        self.model_chooser = ModelChooser(self)
        self.model_combo = self.model_chooser.combo
        self.folder_chooser = FolderChooser(self)
        self.folder_edit = self.folder_chooser.edit
        self.classify_button = QPushButton("Classify", self)
        self.classify_button.setObjectName("classifyButton")
        self.classify_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelClassifyButton")

        self.progress = ProgressRow(self)
        self.progress_bar, self.progress_label = self.progress.bar, self.progress.label
        self.status_label = QLabel(self)
        self.status_label.setObjectName("classifyStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setVisible(False)

        # Made before the grid it filters: Tab reaches the controls in reading order.
        self.filter_bar = ResultsFilterBar(self.results_model, self.proxy, self, count_in_bar=False)
        self.results_view = ResultsView(parent=self)
        self.results_view.setModel(self.proxy)
        self.results_view.set_empty_text(
            "Choose a model and a folder of images, then press Classify.\n"
            "The images appear here as they are classified."
        )

        self.unreadable_files = UnreadableFiles(self)
        self.unreadable_toggle = self.unreadable_files.toggle
        self.unreadable_list = self.unreadable_files.list

        self.export_csv_button = self._button("Export CSV…", "exportCsvButton",
            "Save the images shown (path, class, confidence, top 5) as CSV")  # fmt: skip
        self.export_json_button = self._button("Export JSON…", "exportJsonButton",
            "Save the images shown, the model and the unreadable files as JSON")  # fmt: skip
        self.sort_button = self._button("Sort into folders…", "sortButton",
            "Copy or move the images shown into one folder per predicted class")  # fmt: skip
        self.undo_sort_button = UndoSortButton(self.page, self.actions, self)

        top = QFormLayout()
        top.addRow("Model:", self.model_chooser)
        top.addRow("Images:", self.folder_chooser)
        form_label_for(top, self.model_chooser, self.model_combo)  # the labels name the inputs
        form_label_for(top, self.folder_chooser, self.folder_edit)
        run_row = QHBoxLayout()
        run_row.addWidget(self.classify_button)
        run_row.addWidget(self.cancel_button)
        self.progress.add_to(run_row)
        bottom = QHBoxLayout()
        bottom.addWidget(self.filter_bar.count_label)
        bottom.addSpacing(12)
        bottom.addWidget(self.unreadable_toggle)
        bottom.addStretch(1)
        for button in (self.export_csv_button, self.export_json_button, self.sort_button,
                       self.undo_sort_button):  # fmt: skip
            bottom.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(run_row)
        layout.addWidget(self.status_label)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.results_view, 1)
        layout.addWidget(self.unreadable_list)
        layout.addLayout(bottom)

    def _button(self, text: str, name: str, tooltip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tooltip)
        return button

    def _connect(self) -> None:
        self.model_chooser.modelChanged.connect(self._on_model_changed)
        self.model_chooser.modelChosenByUser.connect(self._on_model_chosen_by_user)
        self.folder_chooser.folderEntered.connect(self._on_folder_entered)
        self.folder_chooser.recentChanged.connect(self.recentFoldersChanged)
        self.classify_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.results_view.resultActivated.connect(self.show_result)
        self.results_view.showAllRequested.connect(self.filter_bar.show_all)
        self.export_csv_button.clicked.connect(lambda: self.export_csv())
        self.export_json_button.clicked.connect(lambda: self.export_json())
        self.sort_button.clicked.connect(lambda: self.open_sort_dialog())
        self.actions.statusChanged.connect(self._set_status)
        self.actions.busyChanged.connect(self._update_buttons)
        # Rows arrive in many small inserts while classifying: update the buttons once after.
        self._buttons_timer = QTimer(self)
        self._buttons_timer.setSingleShot(True)
        self._buttons_timer.setInterval(100)
        self._buttons_timer.timeout.connect(self._update_buttons)
        self.proxy.modelReset.connect(self._buttons_timer.start)
        self.proxy.rowsInserted.connect(self._buttons_timer.start)
        self.folder_chooser.folderChanged.connect(self._buttons_timer.start)
        self.runner.event.connect(self.on_event)

    # -- model and folder ----------------------------------------------------------------
    @property
    def model_info(self) -> dict[str, Any] | None:
        return self.model_chooser.info

    def set_workspace(self, path: str) -> None:
        self.model_chooser.set_workspace(path)

    def set_model(self, path: str, by_user: bool = True) -> None:
        """Choose a model: a run folder, a model folder or its model.json/.safetensors.
        `by_user`: the user asked for it (Runs ▸ Classify with this model, a drop, the
        remembered choice); a model just trained is then not preselected over it."""
        self.model_chooser.set_model(path)
        self.page.choose_model(self.model_path(), self.model_info is not None, by_user)

    def offer_trained_model(self, run_dir: str) -> bool:
        """A run just saved a model: preselect it unless the user chose another one."""
        self.model_chooser.refresh()  # the new run joins the list
        if self.is_running() or not self.page.should_offer(run_dir):
            return False
        self.set_model(run_dir, by_user=False)
        return True

    def _on_model_chosen_by_user(self, path: str) -> None:
        self.page.choose_model(path, self.model_info is not None, by_user=True)

    def model_path(self) -> str:
        return self.model_chooser.model_path()

    def _on_model_changed(self, path: str) -> None:
        self.page.choose_model(path, self.model_info is not None, by_user=False)
        self._update_buttons()

    def folder(self) -> str:
        return self.folder_chooser.folder()

    def set_folder(self, path: str) -> None:
        self.folder_chooser.set_folder(path)
        self._update_buttons()

    def recent(self) -> list[str]:
        return self.folder_chooser.recent()

    def set_recent(self, folders: list[str]) -> None:
        self.folder_chooser.set_recent(folders)

    def _on_folder_entered(self) -> None:
        self._update_buttons()
        if self.classify_button.isEnabled():
            self.start()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A dropped model (run folder, model file) is chosen as the model; a folder (or a
        file's folder) as the images."""
        for url in event.mimeData().urls():
            if not url.isLocalFile():
                continue
            path = url.toLocalFile()
            if is_model_path(path):
                self.set_model(path)
            else:
                self.set_folder(path if os.path.isdir(path) else os.path.dirname(path))
            event.acceptProposedAction()
            return

    # -- classification ------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.runner.is_running()

    def problem(self) -> str:
        self.page.model_path = self.model_path()
        self.page.model_readable = self.model_info is not None
        self.page.folder = self.folder()
        return self.page.problem()

    def start(self) -> bool:
        """Classify the chosen folder with the chosen model; False (and a message) if not ready."""
        if self.is_running():
            return False
        problem = self.problem()
        if problem:
            self._set_status(problem, error=True)
            return False
        folder, model = self.folder(), self.model_path()
        self.thumbnails.clear()
        self.results_model.clear()
        self.results_model.set_root(folder)  # tiles name files below it: "2019/IMG_1.jpg"
        self.results_model.set_class_names((self.model_info or {}).get("class_names", []))
        self.results_view.set_class_names(self.results_model.class_names)
        self.results_view.set_empty_text("Classifying… the first images appear in a moment.")
        self.unreadable_files.clear()
        self._classified_folder = folder
        self._classified_model = model  # "Why?" explains with the model that judged
        self.folder_chooser.remember(folder)
        loaded = self.kept_model.get(model, self._device) is not None
        self.progress.starting(loaded)
        self._set_status("")
        subfolders = self.folder_chooser.include_subfolders()
        job = classify_job(self.kept_model.process, model, folder, subfolders, self._device)
        self.runner.start(job, stop_at_yield=False)
        self._update_buttons()
        return True

    def cancel(self) -> None:
        if self.is_running():
            self.runner.request_stop()
            self.progress.stopping()
            self.cancel_button.setEnabled(False)

    def set_device(self, key: str) -> None:
        """Where the next classification runs ("auto", "cpu", "cuda:1"...)."""
        self._device = key or "auto"

    def release_model(self) -> None:
        """End the classification process (a training run wants the GPU memory it holds)."""
        self.kept_model.release(wait=False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(300, self, self._warm_up)

    def _warm_up(self) -> None:
        """Here to classify, with a model: the process imports torch while a folder is chosen."""
        if self.isVisible() and self.model_info is not None:
            self.kept_model.warm_up()

    def on_event(self, event: object) -> None:
        """One event of the classification job."""
        if isinstance(event, ResultsBatch):
            if event.results:
                self.results_model.append_results(event.results)
            if event.unreadable:
                self.unreadable_files.add(event.unreadable)
            if event.progress is not None:
                self.progress.advanced(event.progress)
        elif isinstance(event, ImagesListed):
            self.progress.listed(event.count)
        elif isinstance(event, ModelLoaded):
            self.kept_model.keep(event, self._device)
            self.progress.model_loaded()
        elif isinstance(event, JobEnded):
            self._on_finished(event.status, event.message or str(event.result or ""))

    def _on_finished(self, status: str, message: str) -> None:
        self.progress.ended(status)
        self.filter_bar.refresh()  # exact counts now, not after the throttle
        self._set_status(message, error=status == "failed")
        self.results_view.set_empty_text(
            "No images were classified." if status != "failed" else "Classification failed."
        )
        self._update_buttons()
        self.classificationFinished.emit(status, message)

    def unreadable(self) -> list[UnreadableImage]:
        return list(self.unreadable_files.items)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        set_role(self.status_label, "error" if error else "")
        self.status_label.setVisible(bool(text))

    def _update_buttons(self, *_args: Any) -> None:
        running = self.is_running()
        shown, total = self.proxy.rowCount(), self.results_model.rowCount()
        self.classify_button.setEnabled(not running and not self.problem())
        self.classify_button.setToolTip(self.problem() or "Classify every image in the folder")
        self.cancel_button.setEnabled(running)
        busy = running or self.actions.is_undoing()
        for button, kind in ((self.export_csv_button, "CSV"), (self.export_json_button, "JSON")):
            button.setEnabled(shown > 0)
            button.setToolTip(self.page.export_tooltip(kind, shown, total))
        self.sort_button.setEnabled(shown > 0 and not busy)
        self.undo_sort_button.refresh(busy)

    # -- results -------------------------------------------------------------------------
    def show_result(self, result: ClassifiedImage) -> None:
        """The image large, with its top-5 probabilities."""
        if self._detail is None:
            self._detail = ImageDetailDialog(self)
        self._detail.set_model(self._classified_model or self.model_path())
        self._detail.show_prediction(result.path, os.path.basename(result.path), list(result.top_k))

    def shown_results(self) -> list[ClassifiedImage]:
        return self.proxy.shown_results()

    def source_folder(self) -> str:
        """The folder the results come from (or the one chosen, before any run)."""
        return self._classified_folder or self.folder()

    # -- export and sorting (gui.classify.results_actions) --------------------------------
    def export_csv(self, path: str | None = None) -> int:
        """Write the rows shown (asks for the file when `path` is None); the row count."""
        return self.actions.export_csv(path)

    def export_json(self, path: str | None = None) -> int:
        return self.actions.export_json(path)

    def open_sort_dialog(self) -> SortDialog:
        return self.actions.open_sort_dialog()

    def undo_last_sort(self) -> JobRunner | None:
        return self.actions.undo_last_sort()

    # -- shutdown ------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop and wait for every background thread and process (classifying, sorting...)."""
        self.runner.shutdown(timeout_ms)
        self.kept_model.close()
        self.actions.shutdown(timeout_ms)
        self.add_to_dataset.shutdown(timeout_ms)
        self.thumbnails.shutdown(timeout_ms)


if __name__ == "__main__":
    # python -m gui.classify.classify_view [WORKSPACE | MODEL] [FOLDER]
    import sys

    from gui.demo.demo_app import run_demo
    from gui.demo.page_demos import classify_view_demo

    run_demo(lambda: classify_view_demo(sys.argv[1:]), "ClassifyView")
