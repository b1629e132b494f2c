"""The Runs page: every run folder in the workspace (gui.runs.run_records), the selected
one in detail (gui.runs.run_detail), several selected compared, and the actions on them
(resume, classify, open, delete). Its rules live in gui.runs.runs_page_model.

The list follows the disk: gui.runs.workspace_watcher asks for a rescan when run folders
appear, change or go."""

from __future__ import annotations

import os
import shutil
from typing import Any

from PySide6.QtCore import (
    QFile,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.files.run_folder import list_runs
from gui.runs.guessing_warning import confirm_classify_with
from gui.runs.model_actions import ModelActions
from gui.runs.resume_questions import ask_resume
from gui.runs.run_detail import RunDetail
from gui.runs.run_records import load_run
from gui.runs.runs_page_model import ActionState, RunsPageModel
from gui.runs.runs_table import COLUMNS, RunDirRole, RunsTable
from gui.runs.workspace_watcher import WorkspaceWatcher
from gui.widgets.accessible import label_for
from gui.widgets.open_path import open_path
from gui.widgets.questions import ask_yes_no

# The table may take this share of the page to show every column whole; the run's curves
# and matrix keep the rest (still ~500 px in a 1440 px window).
MAX_TABLE_SHARE = 0.6


class RunsView(QWidget):
    """Signals: workspaceChanged(path), resumeRequested(run_dir, total_epochs, unlabelled:
    None for the run's own folder, "" for none, else another folder),
    classifyWithRun(run_dir)."""

    workspaceChanged = Signal(str)
    resumeRequested = Signal(str, int, object)
    classifyWithRun = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = RunsPageModel()
        self._shown_key: tuple = ()
        self._user_sized = False  # the splitter was dragged: leave it where the user put it

        self.workspace_edit = QLineEdit(objectName="workspaceEdit", readOnly=True)
        self.workspace_edit.setPlaceholderText("No workspace folder chosen")
        self.change_button = QPushButton("Change…", objectName="changeWorkspaceButton")
        self.change_button.setToolTip("Choose the folder that holds the run folders")
        self.refresh_button = QPushButton("Refresh", objectName="refreshRunsButton")
        top = QHBoxLayout()
        workspace_label = QLabel("Workspace:")
        label_for(workspace_label, self.workspace_edit)
        top.addWidget(workspace_label)
        top.addWidget(self.workspace_edit, 1)
        top.addWidget(self.change_button)
        top.addWidget(self.refresh_button)

        self.table = RunsTable()
        self.model, self.proxy = self.table.runs_model, self.table.proxy
        self.empty_label = QLabel(objectName="runsEmptyLabel", wordWrap=True)
        self.empty_label.setProperty("role", "muted")

        self.resume_button = QPushButton("Resume / extend…", objectName="resumeButton")
        self.resume_button.setToolTip("Continue training from the run's last checkpoint")
        self.classify_button = QPushButton(
            "Classify with this model", objectName="classifyWithRunButton"
        )
        self.open_button = QPushButton("Open folder", objectName="openFolderButton")
        self.delete_button = QPushButton("Delete…", objectName="deleteRunButton")
        self.delete_button.setProperty("danger", True)
        buttons = QGridLayout()
        # Selecting several runs (Ctrl+click) compares them: no button needed for that.
        self.compare_hint = QLabel("Ctrl+click several runs to compare their curves.")
        self.compare_hint.setProperty("role", "muted")
        buttons.addWidget(self.resume_button, 0, 0)
        buttons.addWidget(self.classify_button, 0, 1)
        buttons.addWidget(self.open_button, 1, 0)
        buttons.addWidget(self.delete_button, 1, 1)
        self.model_actions = ModelActions(self)  # evaluate on a folder, export
        buttons.addWidget(self.model_actions.evaluate_button, 2, 0)
        buttons.addWidget(self.model_actions.export_button, 2, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty_label)
        left_layout.addWidget(self.compare_hint)
        left_layout.addLayout(buttons)
        evaluation = QHBoxLayout()  # what the last "Evaluate on a folder…" found
        evaluation.addWidget(self.model_actions.result_label, 1)
        evaluation.addWidget(self.model_actions.open_report_button, 0, Qt.AlignmentFlag.AlignTop)
        left_layout.addLayout(evaluation)
        self.detail = RunDetail()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        self.watcher = WorkspaceWatcher(self)

        self.change_button.clicked.connect(self._on_change_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        self.resume_button.clicked.connect(self._on_resume_clicked)
        self.classify_button.clicked.connect(self._on_classify_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        delete_key = QShortcut(QKeySequence.StandardKey.Delete, self.table)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self._on_delete_clicked)
        self.watcher.changed.connect(self.refresh)
        self._update_empty_label()
        self._update_buttons()

    # -- workspace ---------------------------------------------------------------------------

    def workspace(self) -> str:
        return self.page.workspace

    def set_workspace(self, path: str) -> None:
        path = os.path.abspath(os.path.expanduser(path)) if path else ""
        changed = path != self.page.workspace
        self.page.workspace = path
        self.workspace_edit.setText(path)
        self.workspace_edit.setToolTip(path)
        self.table.clearSelection()
        self.refresh()
        if changed:
            self.workspaceChanged.emit(path)

    def _on_change_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose the runs folder", self.page.workspace)
        if path:
            self.set_workspace(path)

    # -- listing -----------------------------------------------------------------------------

    def runs(self) -> list[dict[str, Any]]:
        return list(self.model.runs)

    def refresh(self) -> None:
        """Rescan the workspace, keeping the selection and the detail unless they changed."""
        selected = self.selected_run_dirs()
        current = self._current_run_dir()
        listed = list_runs(self.page.workspace) if self.page.workspace else []
        runs = self.page.set_runs(listed)
        # Unchanged (the usual answer to the running-run poll): no model reset, which would
        # close an open menu and lose the scroll position.
        if runs != self.model.runs:
            blocker = self.table.selectionModel().blockSignals(True)
            try:
                self.table.set_runs(runs)
                self._select(selected, current)
            finally:
                self.table.selectionModel().blockSignals(blocker)
            self._fit_splitter()  # the columns were fitted to the new runs
        self.watcher.watch(self.page.workspace, listed)
        self._update_empty_label()
        self._on_selection_changed()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        # Coming back to the page: the workspace may have been created (first training) or
        # changed while nothing watched it.
        self.refresh()
        self._fit_splitter()

    def _on_splitter_moved(self, *_args: Any) -> None:
        self._user_sized = True

    def _fit_splitter(self) -> None:
        """The whole table (status included) when the window allows, the rest to the curves;
        again as runs appear, until the user drags the splitter."""
        if self._user_sized or not self.isVisible():
            return
        total = sum(self.splitter.sizes()) or self.splitter.width()
        margins = self.table.parentWidget().layout().contentsMargins()
        wanted = self.table.wanted_width() + margins.left() + margins.right()
        left = min(wanted, int(total * MAX_TABLE_SHARE))
        if self.splitter.sizes()[0] != left:
            self.splitter.setSizes([left, total - left])

    def _update_empty_label(self) -> None:
        text = self.page.empty_text(os.path.isdir(self.page.workspace))
        self.empty_label.setText(text)
        self.empty_label.setVisible(bool(text))
        self.compare_hint.setVisible(len(self.page.runs) >= 2)

    def note_extending(self, run_dir: str, epochs: int) -> None:
        """A resume until `epochs` epochs started: show the new total at once."""
        self.page.extending(run_dir, epochs)
        self.refresh()

    # -- selection ---------------------------------------------------------------------------

    def selected_runs(self) -> list[dict[str, Any]]:
        """Selected runs in table order, the current (last clicked) one first."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        runs = [self.table.run_at(r) for r in rows]
        current = self._current_run_dir()
        runs.sort(key=lambda s: s.get("run_dir") != current)
        return runs

    def selected_run_dirs(self) -> list[str]:
        return [s.get("run_dir", "") for s in self.selected_runs()]

    def select_runs(self, run_dirs: list[str]) -> None:
        """Select these runs (e.g. the run just trained); the first becomes current."""
        wanted = [os.path.abspath(d) for d in run_dirs]
        self._select(wanted, wanted[0] if wanted else None)

    def _current_run_dir(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row()):
            return None
        return index.data(RunDirRole)

    def _select(self, run_dirs: list[str], current: str | None) -> None:
        selection = QItemSelection()
        current_index = QModelIndex()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            run_dir = self.table.run_dir_at(row)
            if run_dir in run_dirs:
                last = self.proxy.index(row, len(COLUMNS) - 1)
                selection.select(index, last)
                if run_dir == current or not current_index.isValid():
                    current_index = index
        flags = QItemSelectionModel.SelectionFlag
        model = self.table.selectionModel()
        if current_index.isValid():
            model.setCurrentIndex(current_index, flags.NoUpdate)
        model.select(selection, flags.ClearAndSelect | flags.Rows)

    def _on_selection_changed(self, *_args: Any) -> None:
        runs = self.page.selected = self.selected_runs()
        self._update_buttons()
        # Reload only when what is shown changed: reloading resets the plots' zoom.
        key = tuple(
            (
                s.get("run_dir"),
                s.get("status"),
                s.get("updated"),
                s.get("epochs_completed"),
                s.get("epochs"),
            )  # fmt: skip
            for s in runs
        )
        if key == self._shown_key:
            return
        self._shown_key = key
        self.detail.show_runs([load_run(s["run_dir"], s) for s in runs])

    def _update_buttons(self) -> None:
        page = self.page
        for button, state in (
            (self.resume_button, page.resume_state()),
            (self.classify_button, page.classify_state()),
            (self.open_button, page.open_state()),
            (self.delete_button, page.delete_state()),
        ):
            self._show_state(button, state)
        one = page.selected[0] if page.classify_state().enabled else None
        self.model_actions.set_run(one)

    @staticmethod
    def _show_state(button: QPushButton, state: ActionState) -> None:
        button.setEnabled(state.enabled)
        button.setToolTip(state.tooltip)

    # -- actions -----------------------------------------------------------------------------

    def _on_resume_clicked(self) -> None:
        if not self.page.resume_state().enabled:
            return
        run = self.page.selected[0]
        choice = ask_resume(self, self.page, run)
        if choice is not None:
            self.request_resume(run["run_dir"], choice.epochs, choice.unlabelled)

    def request_resume(self, run_dir: str, epochs: int, unlabelled: str | None = None) -> None:
        """Ask the trainer to continue `run_dir` until `epochs` epochs in total (no dialog);
        `unlabelled`: another unlabelled folder, "" for none, None for the run's own."""
        self.resumeRequested.emit(os.path.abspath(run_dir), int(epochs), unlabelled)

    def _on_classify_clicked(self) -> None:
        if self.page.classify_state().enabled and confirm_classify_with(
            self, self.page.selected[0]
        ):
            self.classifyWithRun.emit(self.page.selected[0]["run_dir"])

    def _on_open_clicked(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            open_path(self, runs[0]["run_dir"], "the run folder")

    def _on_delete_clicked(self) -> None:
        runs = self.page.deletable()
        if not runs:
            return
        if self._confirm("Delete runs", self.page.delete_question(runs)):
            self.delete_runs([s["run_dir"] for s in runs])

    def delete_runs(self, run_dirs: list[str]) -> list[str]:
        """Move run folders to the trash; where there is no trash, ask before deleting them for
        good. Returns the folders that are gone."""
        gone, no_trash = [], []
        for run_dir in run_dirs:
            result = QFile.moveToTrash(run_dir)
            # PySide6 answers (ok, path in trash) or a plain bool, depending on the version.
            moved = result[0] if isinstance(result, tuple) else bool(result)
            (gone if moved else no_trash).append(run_dir)
        if no_trash and self._confirm(
            "Delete permanently",
            f"{len(no_trash)} run folder(s) could not be moved to the trash (there may be none "
            "on this drive).\n\nDelete them permanently? This cannot be undone.",
        ):
            for run_dir in no_trash:
                try:
                    shutil.rmtree(run_dir)
                    gone.append(run_dir)
                except OSError as exc:
                    QMessageBox.warning(self, "Delete failed", f"{run_dir}: {exc}")
        self.refresh()
        return gone

    def _confirm(self, title: str, text: str) -> bool:
        """Yes/No question (tests replace this method)."""
        return ask_yes_no(self, title, text)

    def shutdown(self) -> None:
        """The window is closing: an evaluation still running is stopped and waited for."""
        self.model_actions.shutdown()

    def _on_context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        for button in (
            self.resume_button,
            self.classify_button,
            self.open_button,
            self.delete_button,
        ):
            action = menu.addAction(button.text(), button.click)
            action.setEnabled(button.isEnabled())
        menu.exec(self.table.viewport().mapToGlobal(pos))


if __name__ == "__main__":
    import sys

    from gui.demo.demo_app import run_demo
    from gui.demo.page_demos import runs_view_demo

    run_demo(lambda: runs_view_demo(sys.argv[1] if len(sys.argv) > 1 else None), "RunsView")
