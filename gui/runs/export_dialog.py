"""Runs page "Export…": write the run's model as ONNX or TorchScript, with the same checks
as `python main.py export` (never over an existing file unless asked, parity with PyTorch
verified before anything is written), and show the parity result."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.jobs import JobEnded, JobRunner, call_job
from gui.widgets.accessible import form_label_for

FORMATS = {"ONNX (.onnx)": ("onnx", ".onnx"), "TorchScript (.pt)": ("torchscript", ".pt")}


def export_job(run_dir: str, out: str, fmt: str, force: bool):
    def run(_control):
        from core.infer.model_export import ParityError, export_verified

        try:
            result = export_verified(run_dir, out, fmt, force)
        except ParityError as exc:  # shown as the result: the parity line is the news
            return ("failed", str(exc))
        return ("ok", f"{result.parity.line()}\nWrote {result.path} and {result.path}.json")

    return call_job(run)


class ExportDialog(QDialog):
    def __init__(self, run_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export {os.path.basename(run_dir)}")
        self.run_dir = run_dir
        self.runner = JobRunner(self, name="export")
        self.format_combo = QComboBox(objectName="exportFormatCombo")
        self.format_combo.addItems(list(FORMATS))
        self.path_edit = QLineEdit(objectName="exportPathEdit")
        self.path_edit.setText(
            os.path.join(os.path.dirname(run_dir), os.path.basename(run_dir)) + self.suffix()
        )
        browse = QPushButton("Browse…")
        self.force_check = QCheckBox("Replace an existing file", objectName="exportForceCheck")
        self.result_label = QLabel(objectName="exportParityLabel", wordWrap=True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = QLabel(
            "The file takes a batch of normalised images; the .json written beside it says how "
            "to prepare them. Before writing, Loupe runs up to 64 validation images through "
            "both the export and PyTorch and compares the results (parity)."
        )
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format:", self.format_combo)
        form.addRow("File:", path_row)
        form_label_for(form, path_row, self.path_edit)
        form.addRow("", self.force_check)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.export_button.setObjectName("exportStartButton")
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(note)
        box.addWidget(self.result_label)
        box.addWidget(self.buttons)
        self.export_button.setDefault(True)  # Return exports, Escape closes (once in the dialog)
        self.resize(620, 260)

        browse.clicked.connect(self._on_browse_clicked)
        self.format_combo.currentTextChanged.connect(self._on_format_changed)
        self.export_button.clicked.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)
        self.runner.event.connect(self._on_job_event)

    def fmt(self) -> str:
        return FORMATS[self.format_combo.currentText()][0]

    def suffix(self) -> str:
        return FORMATS[self.format_combo.currentText()][1]

    def _on_format_changed(self, _text: str) -> None:
        stem, old = os.path.splitext(self.path_edit.text())
        if old in (".onnx", ".pt") or not old:
            self.path_edit.setText(stem + self.suffix())

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def start_export(self) -> None:
        if self.runner.is_running():
            return
        out = self.path_edit.text().strip()
        if not out:
            self.result_label.setText("Choose the file to write.")
            return
        self.export_button.setEnabled(False)
        self.result_label.setStyleSheet("")
        self.result_label.setText("Exporting and checking parity … (ONNX can take a minute)")
        self.runner.start(export_job(self.run_dir, out, self.fmt(), self.force_check.isChecked()))

    def _on_job_event(self, event: object) -> None:
        if not isinstance(event, JobEnded):
            return
        self.export_button.setEnabled(True)
        if event.status == "finished" and event.result:
            verdict, text = event.result
        else:
            verdict, text = "failed", event.message or "Stopped."
        self.result_label.setStyleSheet("" if verdict == "ok" else "color: #c62828;")
        self.result_label.setText(text)

    def reject(self) -> None:
        self.runner.shutdown(timeout_ms=0)  # an export is short: let it finish, then close
        super().reject()
