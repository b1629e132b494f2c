""" "Add to dataset as ▸ <class>" on the Classify results: the selected images are copied into
the dataset the model was trained on (core.files.add_to_dataset), in the background, and the
copy joins the sorts that "Undo sort" (and the window's Undo) can reverse.

Images the dataset already holds byte for byte are left out, and the page says which: a
second copy teaches nothing, and a copy of a validation or test image in train/ would leak
that split into training (core.data.file_copies, the check unlabelled images get too)."""

from __future__ import annotations

import os
import time
from dataclasses import replace

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QMenu

from core.data.dataset_folders import find_split_folders, images_under
from core.data.file_copies import find_copies
from core.errors import LoupeError
from core.files.add_to_dataset import add_to_dataset, plan_add_to_dataset, training_data_dir
from core.files.sort_plan import SortPlan
from core.files.sorting import SortOutcome
from core.words import format_count
from gui.classify.classify_page_model import SortRecord
from gui.classify.results_actions import ResultsActions
from gui.classify.results_model import ResultRole
from gui.jobs import JobEnded, JobRunner, call_job


def without_dataset_copies(plan: SortPlan) -> tuple[SortPlan, dict[str, str]]:
    """The plan less the images its dataset already holds byte for byte, and those images:
    {image: the dataset's file}. Reads only files of a size the dataset also has."""
    dataset, _ignored = images_under(plan.dest_root)
    copies = find_copies([op.source for op in plan.ops], dataset)
    return replace(plan, ops=tuple(op for op in plan.ops if op.source not in copies)), copies


def left_out_text(copies: dict[str, str], root: str) -> str:
    """ "Left out 1 image the dataset already has (…): …" ("" for none)."""
    if not copies:
        return ""
    image, match = sorted(copies.items())[0]
    held = os.path.relpath(match, root).replace(os.sep, "/")
    splits = find_split_folders(root) or {}
    held_out = [
        name
        for name in ("val", "test")
        if name in splits and any(_inside(m, splits[name]) for m in copies.values())
    ]
    why = (
        f"a copy in train/ would leak the {' and '.join(held_out)} split into training"
        if held_out
        else "a second copy teaches nothing new and may land on both sides of the validation split"
    )
    n = len(copies)
    example = f"{os.path.basename(image)} is {held}" + (f", and {n - 1:,} more" if n > 1 else "")
    return (
        f"Left out {format_count(n, 'image')} the dataset already has, byte for byte "
        f"({example}): {why}."
    )


def _inside(path: str, folder: str) -> bool:
    return os.path.normcase(os.path.abspath(path)).startswith(
        os.path.normcase(os.path.abspath(folder)) + os.sep
    )


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
        sub = menu.addMenu(f"Add {format_count(n, 'image')} to dataset as")
        sub.setObjectName("addToDatasetMenu")
        data_dir = training_data_dir(self.view.model_path())
        sub.setToolTip(f"Copy into {data_dir}" if data_dir else "Copy into a dataset you choose")
        for label in info.get("class_names", []):  # no "…": the copy starts at once
            sub.addAction(label, lambda label=label: self.add_selected(label))
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

        def job(control) -> tuple[SortOutcome, dict[str, str]]:
            kept, copies = without_dataset_copies(plan)
            return add_to_dataset(kept, None, lambda: control.stop_requested), copies

        self.runner.start(call_job(job))
        self.actions.statusChanged.emit(f"{plan.summary()}…", False)
        return self.runner

    def _on_event(self, event: object) -> None:
        if not isinstance(event, JobEnded) or self._plan is None:
            return
        plan, self._plan = self._plan, None
        if event.status == "failed":
            self.actions.statusChanged.emit(f"Adding to the dataset failed: {event.message}", True)
            return
        outcome, copies = event.result
        if outcome.manifest_path:
            record = SortRecord(
                outcome.manifest_path, False, plan.dest_root, outcome.done, time.time()
            )
            self.actions.page.sorted_files(record)
            self.actions.sortsChanged.emit()
            self.actions.filesChanged.emit([plan.dest_root])
        label = plan.ops[0].label
        failed = f"; {len(outcome.failed)} could not be read" if outcome.failed else ""
        if outcome.done or outcome.failed:
            text = (
                f"Copied {format_count(outcome.done, 'image')} into {plan.dest_root} as "
                f"'{label}'{failed}. “Undo sort” removes "
                f"{'it' if outcome.done == 1 else 'them'} again."
            )
        else:
            text = f"Nothing was added to {plan.dest_root}."
        left_out = left_out_text(copies, plan.dest_root)
        self.actions.statusChanged.emit(
            f"{text} {left_out}".strip(), bool(outcome.failed or copies)
        )
        self.actions.busyChanged.emit()

    def shutdown(self, timeout_ms: int) -> None:
        self.runner.shutdown(timeout_ms, stop=True)
