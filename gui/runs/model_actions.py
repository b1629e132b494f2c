"""The Runs page's "Evaluate on a folder…" and "Export…": what a person does before
trusting a model. Evaluation runs as a gui.jobs job (the window stays responsive) into
RUN_DIR/evaluations/<folder>-<time>/ and opens its report.html when done."""

from __future__ import annotations

import os
import time
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget

from gui.jobs import JobEnded, JobRunner
from gui.runs.export_dialog import ExportDialog

EVALUATIONS = "evaluations"


def evaluation_folder(run_dir: str, data_dir: str) -> str:
    """A new folder per evaluation: earlier reports are never replaced."""
    name = os.path.basename(os.path.normpath(data_dir)) or "folder"
    return os.path.join(run_dir, EVALUATIONS, f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")


def evaluate_job(run_dir: str, data_dir: str, out_dir: str, device: str = "auto"):
    def job(control) -> Any:
        from core.infer.evaluate import evaluate_folder, write_report
        from core.infer.inference import load_model_for_inference

        lm = load_model_for_inference(run_dir, device)
        report = yield from evaluate_folder(lm, data_dir, control=control)
        data = write_report(report, out_dir)
        return os.path.join(out_dir, "report.html"), data["accuracy"], data["images"]

    return job


class ModelActions(QObject):
    """Two buttons for the selected run; `reportReady(path)` when an evaluation is written."""

    reportReady = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.run: dict[str, Any] | None = None
        self.runner = JobRunner(self, name="evaluate")
        self.evaluate_button = QPushButton("Evaluate on a folder…", objectName="evaluateButton")
        self.export_button = QPushButton("Export…", objectName="exportModelButton")
        self.export_dialog: ExportDialog | None = None
        self.evaluate_button.clicked.connect(self._on_evaluate_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.runner.event.connect(self._on_job_event)
        self.set_run(None)

    def set_run(self, run: dict[str, Any] | None) -> None:
        """The one selected run with a model, or None."""
        self.run = run
        busy = self.runner.is_running()
        self.evaluate_button.setEnabled(run is not None and not busy)
        self.export_button.setEnabled(run is not None)
        tip = "Select one run with a model" if run is None else ""
        self.evaluate_button.setToolTip(
            tip or "Accuracy, per-class metrics, calibration and mistakes on a labelled folder"
        )
        self.export_button.setToolTip(tip or "ONNX or TorchScript, checked against PyTorch")

    def _on_evaluate_clicked(self) -> None:
        if self.run is None:
            return
        folder = QFileDialog.getExistingDirectory(
            self._parent,
            "Folder of class subfolders to evaluate on",
            str(self.run.get("dataset") or ""),
        )
        if folder:
            self.start_evaluation(folder)

    def start_evaluation(self, data_dir: str) -> str:
        run_dir = self.run["run_dir"]
        out_dir = evaluation_folder(run_dir, data_dir)
        self.evaluate_button.setEnabled(False)
        self.evaluate_button.setText("Evaluating…")
        self.runner.start(evaluate_job(run_dir, data_dir, out_dir), stop_at_yield=False)
        return out_dir

    def _on_job_event(self, event: object) -> None:
        if not isinstance(event, JobEnded):
            return
        self.evaluate_button.setText("Evaluate on a folder…")
        self.set_run(self.run)
        if event.status == "finished" and event.result:
            path, _accuracy, _images = event.result
            self.reportReady.emit(path)
            self.open(path)
        elif event.status == "failed":
            QMessageBox.warning(self._parent, "Evaluation failed", event.message)

    def open(self, path: str) -> None:
        """Show a written report in the browser (tests replace this)."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def _on_export_clicked(self) -> None:
        if self.run is None:
            return
        self.export_dialog = ExportDialog(self.run["run_dir"], self._parent)
        self.export_dialog.show()

    def shutdown(self) -> None:
        self.runner.shutdown(timeout_ms=2000)
