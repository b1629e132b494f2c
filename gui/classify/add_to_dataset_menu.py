""" "Add to dataset as <class>…" on the Classify results: the selected images are copied into
the dataset the model was trained on (core.files.add_to_dataset), in the background, and the
copy joins the sorts that "Undo sort" (and the window's Undo) can reverse."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QMenu

from core.errors import LoupeError
from core.files.add_to_dataset import add_to_dataset, plan_add_to_dataset, training_data_dir
from core.files.sorting import SortOutcome, SortPlan
from gui.classify.classify_page_model import SortRecord
from gui.classify.results_model import ResultRole
from gui.jobs import JobEnded, JobRunner, call_job

if TYPE_CHECKING:
    from gui.classify.results_actions import ResultsActions


class AddToDatasetMenu(QObject):
    """The results view's context menu; reports through `actions`' signals."""

    def __init__(self, actions: ResultsActions) -> None:
        super().__init__(actions)
        self.actions = actions
        self.view = actions.view
        self.runner = JobRunner(self, name="add to dataset")
        self.runner.event.connect(self._on_event)
        self._plan: SortPlan | None = None
        grid = self.view.results_view
        grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        grid.customContextMenuRequested.connect(self._on_menu_requested)

    def selected_paths(self) -> list[str]:
        grid = self.view.results_view
        rows = sorted(grid.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [index.data(ResultRole).path for index in rows if index.data(ResultRole)]

    def build_menu(self) -> QMenu:
        """ "Add N images to dataset as" ▸ one entry per class of the model."""
        menu = QMenu(self.view.results_view)
        paths = self.selected_paths()
        info = self.view.model_info or {}
        n = len(paths)
        sub = menu.addMenu(f"Add {n:,} image{'' if n == 1 else 's'} to dataset as")
        sub.setObjectName("addToDatasetMenu")
        data_dir = training_data_dir(self.view.model_path())
        sub.setToolTip(f"Copy into {data_dir}" if data_dir else "Copy into a dataset you choose")
        for label in info.get("class_names", []):
            sub.addAction(f"{label}…", lambda label=label: self.add_selected(label))
        sub.setEnabled(bool(paths) and not self.runner.is_running())
        return menu

    def _on_menu_requested(self, position: QPoint) -> None:
        grid = self.view.results_view
        self.build_menu().exec(grid.viewport().mapToGlobal(position))

    def add_selected(self, label: str, data_dir: str | None = None) -> JobRunner | None:
        """Copy the selected images into `data_dir` (default: the model's training data; the
        user is asked when that is unknown) as `label`; returns the running job."""
        paths = self.selected_paths()
        if not paths or self.runner.is_running():
            return None
        data_dir = data_dir or training_data_dir(self.view.model_path())
        if not data_dir:
            data_dir = QFileDialog.getExistingDirectory(
                self.view, f"The model's dataset is unknown: add the images as '{label}' to…"
            )
            if not data_dir:
                return None
        try:
            plan = plan_add_to_dataset(data_dir, paths, label)
        except LoupeError as exc:
            self.actions.statusChanged.emit(str(exc), True)
            return None
        self._plan = plan
        self.runner.start(
            call_job(lambda control: add_to_dataset(plan, None, lambda: control.stop_requested))
        )
        self.actions.statusChanged.emit(f"{plan.summary()}…", False)
        return self.runner

    def _on_event(self, event: object) -> None:
        if not isinstance(event, JobEnded) or self._plan is None:
            return
        plan, self._plan = self._plan, None
        if event.status == "failed":
            self.actions.statusChanged.emit(f"Adding to the dataset failed: {event.message}", True)
            return
        outcome: SortOutcome = event.result
        if outcome.manifest_path:
            record = SortRecord(
                outcome.manifest_path, False, plan.dest_root, outcome.done, time.time()
            )
            self.actions.page.sorted_files(record)
            self.actions.sortsChanged.emit()
        label = plan.ops[0].label
        failed = f"; {len(outcome.failed)} could not be read" if outcome.failed else ""
        self.actions.statusChanged.emit(
            f"Copied {outcome.done:,} images into {plan.dest_root} as '{label}'{failed}. "
            "“Undo sort” removes them again.",
            bool(outcome.failed),
        )
        self.actions.busyChanged.emit()

    def shutdown(self, timeout_ms: int) -> None:
        self.runner.shutdown(timeout_ms, stop=True)
