"""What the Classify page does with its results: export the images shown (CSV, JSON), sort
their files into one folder per class, and undo the last sort, in the background. Folders
whose files a sort, an undo or an "Add to dataset" changed are announced (`filesChanged`),
so that the Data page can rescan the dataset on show."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog

from core.files.sort_plan import SortPlan
from core.files.sorting import SortOutcome, UndoOutcome, undo_sort
from core.infer.results_export import write_results_csv, write_results_json
from core.words import format_count
from gui.classify.classify_page_model import SortRecord
from gui.classify.results_page import ResultsPage
from gui.classify.sort_dialog import SortDialog, moved_paths, undo_outcome_text
from gui.jobs import JobEnded, JobRunner, call_job

MAX_EXPORT_TOP_K = 5


class ResultsActions(QObject):
    """Acts on `view`'s results; says what happened through `statusChanged(text, error)` and
    `busyChanged()` (a sort or an undo started or ended: the buttons follow)."""

    statusChanged = Signal(str, bool)
    busyChanged = Signal()
    sortsChanged = Signal()  # a sort was done or undone: the window remembers them
    filesChanged = Signal(list)  # folders whose files were placed, moved away or removed

    def __init__(self, view: ResultsPage) -> None:
        super().__init__(view)
        self.view = view
        self.page = view.page  # its sorts: what "Undo sort" offers, across sessions too
        self.undo_runner = JobRunner(self, name="undo")
        self.undo_runner.event.connect(self._on_undo_event)
        self._undoing: SortRecord | None = None
        self._sort_dialog: SortDialog | None = None

    def is_undoing(self) -> bool:
        return self.undo_runner.is_running()

    def can_undo(self) -> bool:
        return bool(self.page.undo_candidates())

    def shown_note(self) -> str:
        """ " (the 120 images shown of 500)" while a filter hides some, else ""."""
        shown, total = self.view.proxy.rowCount(), self.view.results_model.rowCount()
        return f" (the {shown:,} images shown of {total:,})" if shown != total else ""

    # -- export ------------------------------------------------------------------------------

    def export_csv(self, path: str | None = None) -> int:
        """Write the rows shown, in view order: path,label,confidence then top-k columns.
        Asks for the file when `path` is None; returns the number of rows written."""
        path = path or self._ask_save_path("CSV", "loupe-results.csv", "CSV (*.csv)")
        if not path:
            return 0
        results = self.view.shown_results()
        top_k = min(MAX_EXPORT_TOP_K, max((len(r.top_k) for r in results), default=0))
        return self._export(lambda: write_results_csv(results, path, top_k=top_k), path)

    def export_json(self, path: str | None = None) -> int:
        path = path or self._ask_save_path("JSON", "loupe-results.json", "JSON (*.json)")
        if not path:
            return 0
        view = self.view
        results = view.shown_results()
        info = dict(view.model_info or {})
        model = {"path": view.model_path(), **{k: v for k, v in info.items() if k != "class_names"}}
        classes = info.get("class_names")
        unreadable = view.unreadable_files.items
        return self._export(
            lambda: write_results_json(results, path, classes, model, unreadable), path
        )

    def export_title(self, kind: str) -> str:
        """Says before anything is written whether the filter applies (as Sort does)."""
        shown, total = self.view.proxy.rowCount(), self.view.results_model.rowCount()
        return self.page.export_title(kind, shown, total)

    def _ask_save_path(self, kind: str, name: str, file_filter: str) -> str:
        title = self.export_title(kind)
        start = os.path.join(self.view.source_folder() or os.path.expanduser("~"), name)
        path, _ = QFileDialog.getSaveFileName(self.view, title, start, file_filter)
        return path

    def _export(self, write: Callable[[], int], path: str) -> int:
        try:
            rows = write()
        except OSError as exc:
            self.statusChanged.emit(f"Could not export to {path}: {exc.strerror or exc}", True)
            return 0
        self.statusChanged.emit(f"Exported {rows:,} results{self.shown_note()} to {path}.", False)
        return rows

    # -- sorting -----------------------------------------------------------------------------

    def open_sort_dialog(self) -> SortDialog:
        """Non-modal dialog over the results shown; the sort runs when the user confirms."""
        old = self._live_sort_dialog()
        if old is not None and (old.is_running() or old.isVisible()):
            old.raise_()
            old.activateWindow()
            return old
        view = self.view
        source = view.source_folder()
        destination = f"{source.rstrip(os.sep)} sorted" if source else ""
        note = self.shown_note()
        note = f"Sorting{note}; clear the filters to sort all images." if note else ""
        dialog = SortDialog(
            view.shown_results(), view.results_model.unsure_threshold, destination, note, view
        )
        # Deleted once closed: every click makes a dialog over the results shown then.
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sortFinished.connect(self._on_sort_finished)
        self._sort_dialog = dialog
        dialog.show()
        return dialog

    def _live_sort_dialog(self) -> SortDialog | None:
        """The last sort dialog unless Qt has deleted it (closed)."""
        dialog = self._sort_dialog
        if dialog is not None and not shiboken6.isValid(dialog):
            dialog = self._sort_dialog = None
        return dialog

    def _on_sort_finished(self, outcome: SortOutcome, plan: SortPlan) -> None:
        record = SortRecord(
            outcome.manifest_path or "", plan.move, plan.dest_root, outcome.done, time.time()
        )
        self.page.sorted_files(record)
        self.sortsChanged.emit()
        verb = "Moved" if plan.move else "Copied"
        files = format_count(outcome.done, "file")
        self.statusChanged.emit(
            f"{verb} {files} into {plan.dest_root}. “Undo sort” reverses it.", False
        )
        sources = self._follow_moves(record.manifest, undo=False) if plan.move else []
        self.filesChanged.emit([plan.dest_root, *sources])
        self.busyChanged.emit()

    def undo_last_sort(self) -> JobRunner | None:
        """Reverse the newest sort that can still be undone (this session's or one remembered
        from an earlier one), in the background; returns the running job (None if none)."""
        candidates = self.page.undo_candidates()
        return self.undo_sort(candidates[0]) if candidates else None

    def undo_sort(self, record: SortRecord) -> JobRunner | None:
        if self.undo_runner.is_running():
            return None
        self._undoing = record
        # An undo cannot stop half-way sensibly: it runs to its end.
        manifest = record.manifest
        self.undo_runner.start(call_job(lambda _control: undo_sort(manifest)))
        self.statusChanged.emit(f"Undoing the sort of {record.text()}…", False)
        self.busyChanged.emit()
        return self.undo_runner

    def _on_undo_event(self, event: object) -> None:
        if not isinstance(event, JobEnded) or self._undoing is None:
            return
        record, self._undoing = self._undoing, None
        if event.status == "failed":
            self.statusChanged.emit(f"Undo failed: {event.message}", True)
        else:
            self.page.undone(record.manifest)
            self.sortsChanged.emit()
            self._on_undo_done(event.result, record)
        self.busyChanged.emit()

    def _on_undo_done(self, outcome: UndoOutcome, record: SortRecord) -> None:
        text = undo_outcome_text(outcome, record.dest_root)
        self.statusChanged.emit(text, bool(outcome.skipped))
        sources = self._follow_moves(record.manifest, undo=True) if record.move else []
        self.filesChanged.emit([record.dest_root, *sources])

    def _follow_moves(self, manifest: str, undo: bool) -> list[str]:
        """After a move (or its undo) point the results at where the files are now, so
        thumbnails and the detail view keep working; returns the folders files left or came to."""
        moves = moved_paths(manifest, undo)
        if moves:
            self.view.thumbnails.clear()
            self.view.results_model.replace_paths(moves)
        return sorted({os.path.dirname(path) for pair in moves.items() for path in pair})

    def shutdown(self, timeout_ms: int) -> None:
        """Wait for a running sort (stopped between files after `timeout_ms`) or undo (cannot
        stop): to the end, since a QThread destroyed while running aborts the process."""
        dialog = self._live_sort_dialog()
        if dialog is not None and dialog.is_running():
            dialog.shutdown(timeout_ms)
        self.undo_runner.shutdown(timeout_ms, stop=False)
