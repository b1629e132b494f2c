"""The Runs page: every run folder in the workspace, the selected one in detail, several
compared, and the actions on them (resume, classify, open, delete).

The list follows the disk: a QFileSystemWatcher on the workspace (and on the folders of
running runs) triggers a debounced rescan, and while a run is marked running a slow timer
also rescans, since a crashed training process changes no file."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QFile,
    QFileSystemWatcher,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.run_folder import read_run_summary
from gui.widgets.run_detail import (
    RunDetail,
    format_duration,
    format_percent,
    format_time,
    load_run,
    number,
    parse_time,
    status_style,
)

COLUMNS = ("date", "dataset", "architecture", "best val acc", "epochs", "status")
SortRole = Qt.ItemDataRole.UserRole + 1  # numbers and ISO dates, so columns sort by value
RunDirRole = Qt.ItemDataRole.UserRole + 2
RESCAN_DELAY_MS = 400  # a training epoch writes several files: rescan once they are all there
RUNNING_POLL_MS = 4000  # notices a training process that died (it writes nothing when it does)
RESUMABLE = {"completed", "cancelled", "early_stopped", "interrupted"}
# Files that make a folder a Loupe run even when its run.json cannot be read.
RUN_MARKERS = ("run.json", "config.json", "metrics.csv", "model.json", "last.ckpt")

Index = QModelIndex | QPersistentModelIndex


def scan_workspace(workspace: str) -> list[dict[str, Any]]:
    """Run summaries (core.run_folder.read_run_summary) of every folder in `workspace`, newest
    first. A folder that looks like a run but whose run.json cannot be read is listed with
    status "unreadable"; other folders are skipped."""
    try:
        names = sorted(os.listdir(workspace))
    except OSError:
        return []
    runs = []
    for name in names:
        path = os.path.join(workspace, name)
        if not os.path.isdir(path):
            continue
        try:
            summary = read_run_summary(path)
        except Exception:  # a run.json holding a list or a number: not a summary
            summary = None
        if isinstance(summary, dict):
            runs.append(summary)
        elif any(os.path.exists(os.path.join(path, m)) for m in RUN_MARKERS):
            runs.append(_unreadable(path))
    runs.sort(key=lambda s: str(s.get("started", "")), reverse=True)
    return runs


def _unreadable(path: str) -> dict[str, Any]:
    try:
        started = format_time_iso(os.path.getmtime(path))
    except OSError:
        started = ""
    reason = (
        "run.json is not a valid run summary."
        if os.path.exists(os.path.join(path, "run.json"))
        else "This folder has no run.json."
    )
    return {
        "run_dir": os.path.abspath(path),
        "status": "unreadable",
        "started": started,
        "reason": reason,
    }


def format_time_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%dT%H:%M:%S")


def has_checkpoint(summary: dict[str, Any]) -> bool:
    return os.path.isfile(os.path.join(summary.get("run_dir", ""), "last.ckpt"))


def has_model(summary: dict[str, Any]) -> bool:
    folder = summary.get("run_dir", "")
    return all(os.path.isfile(os.path.join(folder, f)) for f in ("model.json", "model.safetensors"))


def can_resume(summary: dict[str, Any]) -> bool:
    return summary.get("status") in RESUMABLE and has_checkpoint(summary)


class RunsTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.runs: list[dict[str, Any]] = []

    def set_runs(self, runs: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(run, column)
        if role == SortRole:
            return self._sort_value(run, column)
        if role == RunDirRole:
            return run.get("run_dir", "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(run, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QColor(status_style(run.get("status"))[1])
        if role == Qt.ItemDataRole.FontRole and column == "status":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("best val acc", "epochs"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(run: dict[str, Any], column: str) -> str:
        if column == "date":
            return format_time(run.get("started"))
        if column == "dataset":
            dataset = str(run.get("dataset") or "")
            return os.path.basename(os.path.normpath(dataset)) if dataset else "—"
        if column == "architecture":
            return str(run.get("arch") or "—")
        if column == "best val acc":
            return format_percent(run.get("best_val_acc"))
        if column == "epochs":
            done, total = number(run.get("epochs_completed")), number(run.get("epochs"))
            if done is None:
                return "—"
            return f"{int(done)} / {int(total)}" if total is not None else str(int(done))
        return status_style(run.get("status"))[0]

    @staticmethod
    def _sort_value(run: dict[str, Any], column: str) -> Any:
        if column == "date":
            return str(run.get("started") or "")
        if column == "best val acc":
            value = number(run.get("best_val_acc"))
            return -1.0 if value is None else value  # runs without a result sort below 0 %
        if column == "epochs":
            return number(run.get("epochs_completed")) or 0.0
        return RunsTableModel._text(run, column).lower()

    @staticmethod
    def _tooltip(run: dict[str, Any], column: str) -> str:
        if column == "dataset":
            return str(run.get("dataset") or "")
        if column == "status":
            return str(run.get("reason") or status_style(run.get("status"))[0])
        lines = [str(run.get("run_dir", ""))]
        started, finished = parse_time(run.get("started")), parse_time(run.get("finished"))
        if started and finished and finished >= started:
            lines.append(f"took {format_duration((finished - started).total_seconds())}")
        return "\n".join(lines)


class RunsView(QWidget):
    """Signals: workspaceChanged(path), resumeRequested(run_dir, total_epochs),
    classifyWithRun(run_dir)."""

    workspaceChanged = Signal(str)
    resumeRequested = Signal(str, int)
    classifyWithRun = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = ""
        self._shown_key: tuple = ()

        self.workspace_edit = QLineEdit(objectName="workspaceEdit", readOnly=True)
        self.workspace_edit.setPlaceholderText("No workspace folder chosen")
        self.change_button = QPushButton("Change…", objectName="changeWorkspaceButton")
        self.change_button.setToolTip("Choose the folder that holds the run folders")
        self.refresh_button = QPushButton("Refresh", objectName="refreshRunsButton")
        top = QHBoxLayout()
        top.addWidget(QLabel("Workspace:"))
        top.addWidget(self.workspace_edit, 1)
        top.addWidget(self.change_button)
        top.addWidget(self.refresh_button)

        self.model = RunsTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.table = QTableView(objectName="runsList")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.empty_label = QLabel(objectName="runsEmptyLabel", wordWrap=True)
        self.empty_label.setProperty("role", "muted")

        self.compare_button = QPushButton("Compare", objectName="compareButton")
        self.compare_button.setToolTip("Overlay the validation curves of the selected runs")
        self.resume_button = QPushButton("Resume / extend…", objectName="resumeButton")
        self.resume_button.setToolTip("Continue training from the run's last checkpoint")
        self.classify_button = QPushButton("Classify with this model", objectName="classifyButton")
        self.open_button = QPushButton("Open folder", objectName="openFolderButton")
        self.delete_button = QPushButton("Delete…", objectName="deleteRunButton")
        self.delete_button.setProperty("danger", True)
        buttons = QGridLayout()
        buttons.addWidget(self.compare_button, 0, 0)
        buttons.addWidget(self.resume_button, 0, 1)
        buttons.addWidget(self.classify_button, 0, 2)
        buttons.addWidget(self.open_button, 1, 0)
        buttons.addWidget(self.delete_button, 1, 2)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty_label)
        left_layout.addLayout(buttons)
        self.detail = RunDetail()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        self.watcher = QFileSystemWatcher(self)
        self._rescan_timer = QTimer(self, singleShot=True, interval=RESCAN_DELAY_MS)
        self._poll_timer = QTimer(self, interval=RUNNING_POLL_MS)

        self.change_button.clicked.connect(self._on_change_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        self.compare_button.clicked.connect(self._on_compare_clicked)
        self.resume_button.clicked.connect(self._on_resume_clicked)
        self.classify_button.clicked.connect(self._on_classify_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.watcher.directoryChanged.connect(self._rescan_timer.start)
        self._rescan_timer.timeout.connect(self.refresh)
        self._poll_timer.timeout.connect(self.refresh)
        self._update_empty_label()
        self._update_buttons()

    # -- workspace ---------------------------------------------------------------------------

    def workspace(self) -> str:
        return self._workspace

    def set_workspace(self, path: str) -> None:
        path = os.path.abspath(os.path.expanduser(path)) if path else ""
        changed = path != self._workspace
        self._workspace = path
        self.workspace_edit.setText(path)
        self.workspace_edit.setToolTip(path)
        self.table.clearSelection()
        self.refresh()
        if changed:
            self.workspaceChanged.emit(path)

    def _on_change_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose the runs folder", self._workspace)
        if path:
            self.set_workspace(path)

    # -- listing -----------------------------------------------------------------------------

    def runs(self) -> list[dict[str, Any]]:
        return list(self.model.runs)

    def refresh(self) -> None:
        """Rescan the workspace, keeping the selection and the detail unless they changed."""
        selected = self.selected_run_dirs()
        current = self._current_run_dir()
        runs = scan_workspace(self._workspace) if self._workspace else []
        blocker = self.table.selectionModel().blockSignals(True)
        try:
            self.model.set_runs(runs)
            self._select(selected, current)
        finally:
            self.table.selectionModel().blockSignals(blocker)
        self._watch(runs)
        self._update_empty_label()
        self._on_selection_changed()

    def _watch(self, runs: list[dict[str, Any]]) -> None:
        wanted = set()
        if self._workspace and os.path.isdir(self._workspace):
            wanted.add(self._workspace)
        running = [r["run_dir"] for r in runs if r.get("status") == "running"]
        # A run's files are replaced atomically (a rename), so the folder is watched, not them.
        wanted.update(d for d in running if os.path.isdir(d))
        watched = set(self.watcher.directories())
        if watched - wanted:
            self.watcher.removePaths(list(watched - wanted))
        if wanted - watched:
            self.watcher.addPaths(sorted(wanted - watched))
        if running and not self._poll_timer.isActive():
            self._poll_timer.start()
        elif not running:
            self._poll_timer.stop()

    def _update_empty_label(self) -> None:
        if not self._workspace:
            text = "Choose a workspace folder to see its training runs."
        elif not os.path.isdir(self._workspace):
            text = f"{self._workspace} does not exist yet: runs will appear here once trained."
        elif not self.model.runs:
            text = "No runs here yet. Train a model on the Train page; its run appears here."
        else:
            text = ""
        self.empty_label.setText(text)
        self.empty_label.setVisible(bool(text))

    # -- selection ---------------------------------------------------------------------------

    def selected_runs(self) -> list[dict[str, Any]]:
        """Selected runs in table order, the current (last clicked) one first."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        runs = [self.model.runs[self.proxy.mapToSource(self.proxy.index(r, 0)).row()] for r in rows]
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
            run_dir = index.data(RunDirRole)
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
        self._update_buttons()
        runs = self.selected_runs()
        # Reload only when what is shown changed: reloading resets the plots' zoom.
        key = tuple(
            (s.get("run_dir"), s.get("status"), s.get("updated"), s.get("epochs_completed"))
            for s in runs
        )
        if key == self._shown_key:
            return
        self._shown_key = key
        self.detail.show_runs([load_run(s["run_dir"], s) for s in runs])

    def _update_buttons(self) -> None:
        runs = self.selected_runs()
        one = runs[0] if len(runs) == 1 else None
        self.compare_button.setEnabled(len(runs) >= 2)
        self.resume_button.setEnabled(one is not None and can_resume(one))
        self.classify_button.setEnabled(one is not None and has_model(one))
        self.open_button.setEnabled(one is not None)
        self.delete_button.setEnabled(
            bool(runs) and all(s.get("status") != "running" for s in runs)
        )
        if len(runs) < 2:
            self.compare_button.setToolTip("Select two or more runs (Ctrl+click) to compare them")
        else:
            self.compare_button.setToolTip(f"Overlay the curves of the {len(runs)} selected runs")
        if one is not None and not can_resume(one):
            why = (
                "This run is still training."
                if one.get("status") == "running"
                else "This run has no checkpoint (last.ckpt) to continue from."
            )
            self.resume_button.setToolTip(why)
        else:
            self.resume_button.setToolTip("Continue training from the run's last checkpoint")

    # -- actions -----------------------------------------------------------------------------

    def _on_compare_clicked(self) -> None:
        # Several selected runs are already compared; the button brings the curves to the front.
        self._shown_key = ()
        self._on_selection_changed()
        self.detail.tabs.setCurrentWidget(self.detail.plots)

    def _on_resume_clicked(self) -> None:
        runs = self.selected_runs()
        if len(runs) != 1 or not can_resume(runs[0]):
            return
        run = runs[0]
        done = int(number(run.get("epochs_completed")) or 0)
        total = int(number(run.get("epochs")) or 0)
        default = total if total > done else done + max(5, done // 2)
        epochs, ok = QInputDialog.getInt(
            self,
            "Resume / extend run",
            f"{os.path.basename(run['run_dir'])} has trained {done} epochs.\n"
            "Train until this many epochs in total:",
            default,
            done + 1,
            100000,
        )
        if ok:
            self.request_resume(run["run_dir"], epochs)

    def request_resume(self, run_dir: str, epochs: int) -> None:
        """Ask the trainer to continue `run_dir` until `epochs` epochs in total (no dialog)."""
        self.resumeRequested.emit(os.path.abspath(run_dir), int(epochs))

    def _on_classify_clicked(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1 and has_model(runs[0]):
            self.classifyWithRun.emit(runs[0]["run_dir"])

    def _on_open_clicked(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            QDesktopServices.openUrl(QUrl.fromLocalFile(runs[0]["run_dir"]))

    def _on_delete_clicked(self) -> None:
        runs = [s for s in self.selected_runs() if s.get("status") != "running"]
        if not runs:
            return
        names = "\n".join(os.path.basename(s["run_dir"]) for s in runs[:10])
        more = f"\n… and {len(runs) - 10} more" if len(runs) > 10 else ""
        what = "this run" if len(runs) == 1 else f"these {len(runs)} runs"
        if self._confirm("Delete runs", f"Move {what} to the trash?\n\n{names}{more}"):
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
        answer = QMessageBox.question(
            self,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _on_context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        for button in (
            self.compare_button,
            self.resume_button,
            self.classify_button,
            self.open_button,
            self.delete_button,
        ):
            action = menu.addAction(button.text(), button.click)
            action.setEnabled(button.isEnabled())
        menu.exec(self.table.viewport().mapToGlobal(pos))


def _demo(workspace: str | None = None) -> RunsView:
    view = RunsView()
    if workspace:
        view.set_workspace(workspace)
    view.resize(1400, 850)
    return view


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    widget = _demo(sys.argv[1] if len(sys.argv) > 1 else None)
    widget.setWindowTitle("RunsView")
    widget.show()
    sys.exit(app.exec())
