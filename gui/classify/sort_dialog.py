"""Sort classified images into class folders: choose where and how, see exactly what will
happen (core.files.sort_plan.SortPlan.summary/counts), then copy or move in a background thread with
progress. Nothing touches the disk before the user presses "Sort".

The work runs as a gui.jobs job."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.files.sort_manifest import read_manifest
from core.files.sort_plan import SortPlan, plan_sort
from core.files.sorting import SortAborted, SortOutcome, UndoOutcome, execute_sort
from core.infer.results import ClassifiedImage
from gui.jobs import JobControl, JobEnded, JobProgress, JobRunner, call_job
from gui.widgets.accessible import describe, form_label_for
from gui.widgets.progress_bars import set_progress
from gui.widgets.roles import set_role

MAX_LISTED_FAILURES = 20


def outcome_text(outcome: SortOutcome, move: bool) -> str:
    verb = "Moved" if move else "Copied"
    text = f"{verb} {outcome.done:,} file{'' if outcome.done == 1 else 's'}."
    if outcome.stopped:
        text = "Stopped. " + text
    if outcome.failed:
        text += f" {len(outcome.failed):,} could not be sorted:"
        for path, reason in outcome.failed[:MAX_LISTED_FAILURES]:
            text += f"\n• {os.path.basename(path)}: {reason}"
        if len(outcome.failed) > MAX_LISTED_FAILURES:
            text += f"\n… and {len(outcome.failed) - MAX_LISTED_FAILURES:,} more"
    return text


def undo_outcome_text(outcome: UndoOutcome, folder: str = "") -> str:
    """What an undo did; with `folder` (the sort's destination) it says where."""
    text = outcome.summary()
    if folder:
        text = text.replace("Undo: ", f"Undo in {folder}: ", 1)
    if outcome.skipped:
        text = text[:-1] + ":"
        for path, reason in outcome.skipped[:MAX_LISTED_FAILURES]:
            text += f"\n• {os.path.basename(path)}: {reason}"
    return text


def moved_paths(manifest: str, undo: bool = False) -> dict[str, str]:
    """Old path -> new path of the files a move sort placed (or, with undo, put back):
    only those that really are at the new path now."""
    try:
        placed = read_manifest(manifest).placed
    except Exception:  # the sort itself succeeded; results keeping old paths is minor
        return {}
    pairs = [(p.destination, p.source) if undo else (p.source, p.destination) for p in placed]
    return {a: b for a, b in pairs if os.path.exists(b) and not os.path.exists(a)}


class SortDialog(QDialog):
    """`sortFinished(SortOutcome, SortPlan)` after a sort that placed files (undo is possible)."""

    sortFinished = Signal(object, object)

    def __init__(
        self,
        results: Sequence[ClassifiedImage],
        unsure_threshold: float = 0.5,
        destination: str = "",
        note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sortDialog")
        self.setWindowTitle("Sort images into class folders")
        self.results = list(results)
        self.plan: SortPlan | None = None
        self.outcome: SortOutcome | None = None
        self.runner = JobRunner(self, name="sort")
        self.runner.event.connect(self._on_sort_event)
        self._close_when_done = False

        self.dest_edit = QLineEdit(destination, self)
        self.dest_edit.setObjectName("sortDestEdit")
        self.dest_edit.setPlaceholderText("Folder that will receive one subfolder per class")
        browse = QPushButton("Browse…", self)
        browse.setObjectName("sortBrowseButton")
        browse.clicked.connect(self._browse)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.dest_edit, 1)
        dest_row.addWidget(browse)

        self.copy_radio = QRadioButton("Copy (originals stay where they are)", self)
        self.copy_radio.setObjectName("sortCopyRadio")
        self.move_radio = QRadioButton("Move", self)
        self.move_radio.setObjectName("sortMoveRadio")
        self.copy_radio.setChecked(True)
        mode = QButtonGroup(self)
        mode.addButton(self.copy_radio)
        mode.addButton(self.move_radio)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.copy_radio)
        mode_row.addWidget(self.move_radio)
        mode_row.addStretch(1)

        self.threshold_spin = QDoubleSpinBox(self)
        self.threshold_spin.setObjectName("sortThresholdSpin")
        self.threshold_spin.setRange(0.0, 100.0)
        self.threshold_spin.setDecimals(1)
        self.threshold_spin.setSuffix(" %")
        self.threshold_spin.setValue(unsure_threshold * 100)
        self.threshold_spin.setMaximumWidth(120)
        self.threshold_spin.setToolTip(
            "Images whose confidence is below this go to the “_unsure” folder. 0 % sorts every "
            "image into its predicted class."
        )

        form = QFormLayout()
        form.addRow("Destination:", dest_row)
        form_label_for(form, dest_row, self.dest_edit)
        form.addRow("Mode:", mode_row)
        form.addRow("Unsure below:", self.threshold_spin)

        self.note_label = QLabel(note, self)
        self.note_label.setObjectName("sortNoteLabel")
        self.note_label.setWordWrap(True)
        self.note_label.setVisible(bool(note))

        self.preview_label = QLabel(self)
        self.preview_label.setObjectName("sortPreviewLabel")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_table = QTableWidget(0, 2, self)
        self.preview_table.setObjectName("sortPreviewTable")
        describe(self.preview_table, "Files per folder")
        self.preview_table.setTabKeyNavigation(False)  # Tab goes on to the buttons
        self.preview_table.setHorizontalHeaderLabels(["Folder", "Files"])
        self.preview_table.verticalHeader().hide()
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.preview_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("sortProgress")
        describe(self.progress, "Sorting progress")
        self.progress.setVisible(False)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("sortStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.sort_button = QPushButton("Sort", self)
        self.sort_button.setObjectName("sortStartButton")
        self.sort_button.setDefault(True)
        self.sort_button.clicked.connect(self.start)
        self.close_button = QPushButton("Cancel", self)
        self.close_button.setObjectName("sortCloseButton")
        self.close_button.clicked.connect(self._on_close_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.sort_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note_label)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview_table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self.resize(560, 460)

        # Re-plan after typing stops: planning lists the destination folders.
        self._replan = QTimer(self)
        self._replan.setSingleShot(True)
        self._replan.setInterval(250)
        self._replan.timeout.connect(self.update_preview)
        self.dest_edit.textChanged.connect(self._replan.start)
        self.threshold_spin.valueChanged.connect(self._replan.start)
        self.move_radio.toggled.connect(self._replan.start)
        self.update_preview()

    # -- settings ------------------------------------------------------------------------
    def destination(self) -> str:
        return (
            os.path.abspath(os.path.expanduser(self.dest_edit.text().strip()))
            if self.dest_edit.text().strip()
            else ""
        )

    def unsure_threshold(self) -> float:
        return self.threshold_spin.value() / 100.0

    def move(self) -> bool:
        return self.move_radio.isChecked()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Sort into folder", self.dest_edit.text())
        if folder:
            self.dest_edit.setText(folder)

    # -- preview -------------------------------------------------------------------------
    def problem(self) -> str:
        dest = self.destination()
        if not self.results:
            return "There are no classified images to sort."
        if not dest:
            return "Choose a destination folder."
        if os.path.exists(dest) and not os.path.isdir(dest):
            return f"{dest} is a file, not a folder."
        return ""

    def update_preview(self) -> None:
        self._replan.stop()
        problem = self.problem()
        self.plan = None
        if not problem:
            try:
                self.plan = plan_sort(
                    self.results, self.destination(), self.move(), self.unsure_threshold()
                )
            except (OSError, ValueError) as exc:
                problem = f"Cannot plan the sort: {exc}"
        running = self.runner.is_running()
        self.sort_button.setEnabled(self.plan is not None and not running and self.outcome is None)
        table = self.preview_table
        if self.plan is None:
            self.preview_label.setText(problem)
            set_role(self.preview_label, "error")
            table.setRowCount(0)
            return
        text = self.plan.summary().split(":")[0] + "."
        if self.plan.move:
            text += " The originals are removed after each copy is verified; Undo moves them back."
        self.preview_label.setText(text)
        set_role(self.preview_label, "")
        counts = self.plan.counts()
        table.setRowCount(len(counts))
        for row, (folder, count) in enumerate(counts.items()):
            table.setItem(row, 0, QTableWidgetItem(folder))
            number = QTableWidgetItem(f"{count:,}")
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, 1, number)

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        self.update_preview()
        plan = self.plan
        if plan is None or self.runner.is_running() or self.outcome is not None:
            return
        for widget in (self.dest_edit, self.copy_radio, self.move_radio, self.threshold_spin):
            widget.setEnabled(False)
        self.sort_button.setEnabled(False)
        self.close_button.setText("Stop")
        self.progress.setRange(0, len(plan.ops))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        set_role(self.status_label, "")
        self.status_label.setText("Sorting…")

        def sort(control: JobControl) -> SortOutcome:
            return execute_sort(
                plan,
                progress=control.progress_callback(),
                should_stop=lambda: control.stop_requested,
            )

        self.runner.start(call_job(sort))

    def is_running(self) -> bool:
        return self.runner.is_running()

    def wait(self, timeout_ms: int = 30000) -> bool:
        return self.runner.wait(timeout_ms)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Window closing: let the sort finish for `timeout_ms`, then stop it between files and
        wait for that; never leaves its thread running. True if it finished in time."""
        return self.runner.shutdown(timeout_ms, stop=False)

    def _on_sort_event(self, event: object) -> None:
        if isinstance(event, JobProgress):
            self._on_progress(event.done, event.total)
        elif isinstance(event, JobEnded):
            if event.status == "failed":
                self._on_failed(event.message, event.error)
            else:
                self._on_succeeded(event.result)
            self._on_ended()

    def _on_progress(self, done: int, total: int) -> None:
        set_progress(self.progress, done, total)
        self.status_label.setText(f"Sorting… {done:,} of {total:,} files")

    def _on_succeeded(self, outcome: SortOutcome) -> None:
        self._finish(outcome, outcome_text(outcome, self.plan.move if self.plan else False), False)

    def _on_failed(self, message: str, error: object) -> None:
        outcome = error.outcome if isinstance(error, SortAborted) else None
        self._finish(outcome, message, True)

    def _finish(self, outcome: SortOutcome | None, text: str, is_error: bool) -> None:
        self.outcome = outcome or SortOutcome(0, (), None, False)
        if outcome is not None and outcome.manifest_path and outcome.done:
            text += "\nUse “Undo sort” on the Classify page to reverse it."
        self.status_label.setText(text)
        set_role(self.status_label, "error" if is_error or (outcome and outcome.failed) else "")
        if outcome is not None and outcome.manifest_path and outcome.done:
            self.sortFinished.emit(outcome, self.plan)

    def _on_ended(self) -> None:
        self.close_button.setText("Close")
        self.sort_button.setEnabled(False)
        if self._close_when_done:
            self._close_when_done = False
            self.close()

    def _ask_stop(self) -> None:
        if self.runner.is_running():
            self.runner.request_stop()
            self.status_label.setText("Stopping after the current file…")

    def _on_close_clicked(self) -> None:
        if self.runner.is_running():  # the button reads "Stop" while sorting
            self._ask_stop()
        else:
            self.reject()

    def closeEvent(self, event: Any) -> None:
        if self.runner.is_running():
            # Stop between files; the dialog closes once the thread has ended.
            self._ask_stop()
            self._close_when_done = True
            event.ignore()
            return
        # QDialog.closeEvent calls reject() while visible, which hides: the close is accepted.
        super().closeEvent(event)

    def reject(self) -> None:  # Escape, Close
        # Never call close() here: Qt's close handling calls reject() itself, and a nested
        # close is refused, which left the dialog open for good.
        if self.runner.is_running():
            self._ask_stop()  # stays open to show what was done
            return
        super().reject()
