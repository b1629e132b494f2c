"""The Runs page's "Evaluate on a folder…" and "Export…": what a person does before
trusting a model. Evaluation runs as a gui.jobs job (the window stays responsive) into
RUN_DIR/evaluations/<folder>-<time>/; when done, a line under the buttons gives the accuracy
and the report's path (with "Open report" to open it again) and report.html opens in the
browser, or the line says that no browser could be opened."""

from __future__ import annotations

import os
import time
from html import escape
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QSizePolicy, QWidget

from core.words import format_count
from gui.jobs import JobEnded, JobRunner
from gui.runs.export_dialog import ExportDialog
from gui.runs.run_records import folder_name, format_percent
from gui.widgets.roles import set_role

EVALUATIONS = "evaluations"


def evaluation_folder(run_dir: str, data_dir: str) -> str:
    """A new folder per evaluation: earlier reports are never replaced."""
    name = os.path.basename(os.path.normpath(data_dir)) or "folder"
    return os.path.join(run_dir, EVALUATIONS, f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")


def evaluation_text(accuracy: float, images: int, report: str) -> str:
    """The line a finished evaluation leaves on the page (plain text)."""
    return f"Accuracy {format_percent(accuracy)} on {format_count(images, 'image')}; report at {report}"


def _breakable(path: str) -> str:
    """HTML of a path that may wrap after each separator: a long path must not widen the page."""
    return escape(path).replace(os.sep, os.sep + "\u200b")


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
    """Two buttons for the selected run, and `result_label` + `open_report_button`: what the
    last evaluation found. `reportReady(path)` when an evaluation is written."""

    reportReady = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.run: dict[str, Any] | None = None
        self.report_path = ""  # the last report written, for "Open report"
        self._what = ""  # "run on folder" of the evaluation running or last run
        self.runner = JobRunner(self, name="evaluate")
        self.evaluate_button = QPushButton("Evaluate on a folder…", objectName="evaluateButton")
        self.export_button = QPushButton("Export…", objectName="exportModelButton")
        self.result_label = QLabel(objectName="evaluationResultLabel", wordWrap=True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # However long the path, the line wraps instead of widening the list's side.
        self.result_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.result_label.setVisible(False)
        self.open_report_button = QPushButton("Open report", objectName="openEvaluationButton")
        self.open_report_button.setToolTip("Open the last evaluation's report.html again")
        self.open_report_button.setVisible(False)
        self.export_dialog: ExportDialog | None = None
        self.evaluate_button.clicked.connect(self._on_evaluate_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.open_report_button.clicked.connect(self._on_open_report_clicked)
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
        self._what = f"{folder_name(run_dir)} on {folder_name(data_dir)}"
        self.evaluate_button.setEnabled(False)
        self.evaluate_button.setText("Evaluating…")
        self._show_result(f"Evaluating {escape(self._what)}…", "muted")
        self.runner.start(evaluate_job(run_dir, data_dir, out_dir), stop_at_yield=False)
        return out_dir

    def _on_job_event(self, event: object) -> None:
        if not isinstance(event, JobEnded):
            return
        self.evaluate_button.setText("Evaluate on a folder…")
        self.set_run(self.run)
        what = escape(self._what)
        if event.status == "finished" and event.result:
            path, accuracy, images = event.result
            self.report_path = path
            text = escape(evaluation_text(accuracy, images, "")) + _breakable(path) + "."
            self._show_result(f"{what}: {text}", "")
            self.reportReady.emit(path)
            self._open_report()
        elif event.status == "failed":
            self._show_result(f"{what}: evaluation failed: {escape(event.message)}", "error")
        else:
            self._show_result(f"{what}: evaluation stopped; no report was written.", "muted")

    def _show_result(self, html: str, role: str) -> None:
        self.result_label.setText(html)
        set_role(self.result_label, role)
        self.result_label.setVisible(True)
        self.open_report_button.setVisible(bool(self.report_path))
        self.open_report_button.setEnabled(os.path.isfile(self.report_path))

    def _on_open_report_clicked(self) -> None:
        if self.report_path:
            self._open_report()

    def _open_report(self) -> None:
        """Open the report; where no browser opens, the line under the buttons says so."""
        opened = self.open(self.report_path)
        text = self.result_label.text().removesuffix(_NO_BROWSER)
        self._show_result(text if opened else text + _NO_BROWSER, "" if opened else "error")

    def open(self, path: str) -> bool:
        """Show a written report in the browser; False when none opened (tests replace this)."""
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(path)))

    def _on_export_clicked(self) -> None:
        if self.run is None:
            return
        self.export_dialog = ExportDialog(self.run["run_dir"], self._parent)
        self.export_dialog.show()

    def shutdown(self) -> None:
        self.runner.shutdown(timeout_ms=2000)


_NO_BROWSER = " No browser could be opened: open report.html from that folder yourself."
