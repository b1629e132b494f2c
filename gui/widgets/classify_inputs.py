"""The two choices of the Classify page: which model, which folder.

`ModelChooser` lists the workspace's runs that saved a model, plus "Choose model file…", and
describes the chosen model from its model.json (plain JSON: torch is not needed to show it).
`FolderChooser` is the folder field with Browse, recent folders and "Include subfolders"."""

from __future__ import annotations

import json
import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.run_folder import list_runs

CHOOSE_MODEL = "\x00choose"  # item data of "Choose model file…"
MAX_RECENT = 10
INFO_STYLE = "color: #555;"
ERROR_STYLE = "color: #c62828;"


def model_folder(path: str) -> str:
    """The folder holding model.json, from a run folder, model folder or either model file."""
    path = os.path.abspath(os.path.expanduser(path))
    return path if os.path.isdir(path) else os.path.dirname(path)


def read_model_info(path: str) -> dict[str, Any]:
    """arch, class_names, image_size, val_acc from model.json. Raises OSError/ValueError when
    it is missing or does not describe a Loupe model."""
    with open(os.path.join(model_folder(path), "model.json"), encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, dict) or not isinstance(raw.get("class_names"), list):
        raise ValueError("model.json does not describe a Loupe model")
    best = raw.get("best") if isinstance(raw.get("best"), dict) else {}
    acc = best.get("val_acc")
    return {
        "arch": str(raw.get("arch", "?")),
        "class_names": [str(n) for n in raw["class_names"]],
        "image_size": int(raw.get("image_size", 0) or 0),
        "val_acc": float(acc) if isinstance(acc, int | float) else None,
    }


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
    dataset = os.path.basename(str(run.get("dataset", "")).rstrip("/\\"))
    return text + (f" · {dataset}" if dataset else "")


class ModelChooser(QWidget):
    """`modelChanged(path)` ("" for none); `info` is the model.json summary or None."""

    modelChanged = Signal(str)

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
        self.info_label = QLabel(self)
        self.info_label.setObjectName("classifyModelInfo")
        self.info_label.setWordWrap(True)
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
            return
        self._show_info()

    def _show_info(self) -> None:
        path = self.model_path()
        changed = path != self._previous
        self._previous = path
        self.info = None
        style = INFO_STYLE
        if not path:
            text = "Choose a model trained with Loupe: a run of the workspace, or a model file."
        else:
            try:
                self.info = read_model_info(path)
                text = describe_model(self.info)
            except (OSError, ValueError, TypeError) as exc:
                text, style = f"Cannot read this model: {exc}", ERROR_STYLE
        self.info_label.setText(text)
        self.info_label.setStyleSheet(style)
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
        self.recent_button.setText("Recent")
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
