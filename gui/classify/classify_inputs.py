"""The two choices of the Classify page: which model, which folder.

`ModelChooser` lists the workspace's runs that saved a model, plus "Choose model file…", and
describes the chosen model from its model.json (plain JSON: torch is not needed to show it).
`FolderChooser` is the folder field with Browse, recent folders and "Include subfolders".
(The bar that filters the results is gui.classify.results_filter_bar.)"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import ModelFileError
from core.files.run_folder import list_runs
from core.models.checkpoints import read_model_meta
from core.train.verdict import saved_verdict
from gui.classify.kept_model import model_folder
from gui.widgets.elided_label import ElidedLines

CHOOSE_MODEL = "\x00choose"  # item data of "Choose model file…"
MAX_RECENT = 10


def describe_model(info: dict[str, Any]) -> str:
    names = info["class_names"]
    shown = ", ".join(names[:8]) + (f", … ({len(names) - 8} more)" if len(names) > 8 else "")
    acc = info.get("val_acc")
    acc_text = f"validation accuracy {acc * 100:.1f} %" if acc is not None else "not validated"
    return f"{info['arch']} · {info['image_size']} px · {acc_text}\n{len(names)} classes: {shown}"


def is_model_path(path: str) -> bool:
    if os.path.isdir(path):
        return os.path.isfile(os.path.join(path, "model.json"))
    return os.path.basename(path) == "model.json" or path.endswith(".safetensors")


def run_item_text(run: dict[str, Any]) -> str:
    """E.g. "20240501-120000-shapes · loupe_net · 92.3 % · shapes"."""
    run_dir = str(run.get("run_dir", ""))
    acc = run.get("best_val_acc")
    text = f"{os.path.basename(run_dir)} · {run.get('arch', '?')}"
    if isinstance(acc, int | float):
        text += f" · {acc * 100:.1f} %"
    if run.get("verdict"):  # core.train.verdict: the model only guesses
        text += " · guessing"
    dataset = os.path.basename(str(run.get("dataset", "")).rstrip("/\\"))
    return text + (f" · {dataset}" if dataset else "")


class ModelChooser(QWidget):
    """`modelChanged(path)` ("" for none), `modelChosenByUser(path)` when the user picked it
    in the list; `info` is the model.json summary or None."""

    modelChanged = Signal(str)
    modelChosenByUser = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = ""
        self.info: dict[str, Any] | None = None
        self._previous = ""
        self.combo = QComboBox(self)
        self.combo.setObjectName("classifyModelCombo")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(30)
        # Always two lines high: the description appearing must not push the Images field
        # down under the cursor.
        self.info_label = ElidedLines(2, self)
        self.info_label.setObjectName("classifyModelInfo")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.combo)
        layout.addWidget(self.info_label)
        self.combo.currentIndexChanged.connect(self._on_combo_changed)
        self.refresh()

    def set_workspace(self, path: str) -> None:
        self.workspace = path
        self.refresh()

    def model_path(self) -> str:
        data = self.combo.currentData()
        return data if isinstance(data, str) and data != CHOOSE_MODEL else ""

    def set_model(self, path: str) -> None:
        """A run folder, a model folder or its model.json/.safetensors."""
        self.refresh(select=model_folder(path) if path else "")

    def refresh(self, select: str | None = None) -> None:
        """Re-list the workspace's runs, keeping (or selecting) a model."""
        combo = self.combo
        keep = self.model_path() if select is None else select
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("(no model chosen)", "")
        for run in list_runs(self.workspace) if self.workspace else []:
            run_dir = str(run.get("run_dir", ""))
            if os.path.isfile(os.path.join(run_dir, "model.json")):
                combo.addItem(run_item_text(run), run_dir)
                combo.setItemData(combo.count() - 1, run_dir, Qt.ItemDataRole.ToolTipRole)
        if keep and combo.findData(keep) < 0:
            combo.addItem(keep, keep)
            combo.setItemData(combo.count() - 1, keep, Qt.ItemDataRole.ToolTipRole)
        combo.insertSeparator(combo.count())
        combo.addItem("Choose model file…", CHOOSE_MODEL)
        combo.setCurrentIndex(max(combo.findData(keep), 0) if keep else 0)
        combo.blockSignals(False)
        self._show_info()

    def _on_combo_changed(self, _index: int) -> None:
        if self.combo.currentData() == CHOOSE_MODEL:
            path, _ = QFileDialog.getOpenFileName(
                self,
                "Choose a Loupe model",
                self.workspace,
                "Loupe model (model.safetensors model.json);;All files (*)",
            )
            self.refresh(select=model_folder(path) if path else self._previous)
        else:
            self._show_info()
        self.modelChosenByUser.emit(self.model_path())

    def _show_info(self) -> None:
        path = self.model_path()
        changed = path != self._previous
        self._previous = path
        self.info = None
        role = "muted"
        if not path:
            text = "Choose a model trained with Loupe: a run of the workspace, or a model file."
        else:
            try:
                self.info = read_model_meta(path).summary()
                text = describe_model(self.info)
                verdict = saved_verdict(path)
                if verdict:  # never offered silently: the run found it only guesses
                    text, role = f"{text}\n⚠ {verdict}", "error"
            except ModelFileError as exc:
                text, role = f"Cannot read this model: {exc}", "error"
        self.info_label.setText(text)
        self.info_label.set_role(role)
        if changed:
            self.modelChanged.emit(path)


class FolderChooser(QWidget):
    """`folderEntered()` when Enter is pressed in the field; `recentChanged(list)`."""

    folderEntered = Signal()
    folderChanged = Signal(str)
    recentChanged = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._recent: list[str] = []
        self.edit = QLineEdit(self)
        self.edit.setObjectName("classifyFolderEdit")
        self.edit.setPlaceholderText("Folder of images to classify (or drop it here)")
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setObjectName("classifyBrowseButton")
        self.recent_button = QToolButton(self)
        self.recent_button.setObjectName("classifyRecentButton")
        # Our own arrow in the text: Qt's menu indicator overlaps the text (as on the Data page).
        self.recent_button.setText("Recent ▾")
        self.recent_button.setProperty("role", "menu-text")  # style.qss hides Qt's arrow
        self.recent_button.setToolTip("Folders classified before")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_menu = QMenu(self.recent_button)
        self.recent_button.setMenu(self.recent_menu)
        self.subfolders_check = QCheckBox("Include subfolders", self)
        self.subfolders_check.setObjectName("classifySubfoldersCheck")
        self.subfolders_check.setChecked(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse_button)
        layout.addWidget(self.recent_button)
        layout.addWidget(self.subfolders_check)
        self.edit.returnPressed.connect(self.folderEntered)
        self.edit.textChanged.connect(lambda _text: self.folderChanged.emit(self.folder()))
        self.browse_button.clicked.connect(self._browse)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)

    def folder(self) -> str:
        text = self.edit.text().strip()
        return os.path.abspath(os.path.expanduser(text)) if text else ""

    def set_folder(self, path: str) -> None:
        self.edit.setText(path)

    def include_subfolders(self) -> bool:
        return self.subfolders_check.isChecked()

    def recent(self) -> list[str]:
        return list(self._recent)

    def set_recent(self, folders: list[str]) -> None:
        self._recent = [f for f in folders if isinstance(f, str) and f][:MAX_RECENT]

    def remember(self, folder: str) -> None:
        self._recent = [folder] + [f for f in self._recent if f != folder][: MAX_RECENT - 1]
        self.recentChanged.emit(self.recent())

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        if not self._recent:
            self.recent_menu.addAction("(no recent folders)").setEnabled(False)
        for folder in self._recent:
            action = self.recent_menu.addAction(folder)
            action.triggered.connect(lambda _=False, f=folder: self.set_folder(f))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder of images to classify", self.folder()
        )
        if folder:
            self.set_folder(folder)
