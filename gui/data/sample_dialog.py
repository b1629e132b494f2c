"""File → "Get a sample dataset…": choose a dataset (the built-in demo photos, CIFAR-10, MNIST,
Fashion-MNIST) and a destination; it is written as class folders (core.data.samples) on a
background job with progress, then opened on the Data page. Offline, the dialog says so in one
sentence and offers a file chooser for an archive downloaded elsewhere.

    python -m gui.data.sample_dialog      # the dialog on its own
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.control import RunControl
from core.data.samples import FROM_FILE_HINT, SAMPLES, SampleProgress, write_sample
from gui.jobs import JobEnded, JobRunner
from gui.widgets.accessible import describe, form_label_for, label_for
from gui.widgets.progress_bars import set_progress

SAMPLES_FOLDER = os.path.join(os.path.expanduser("~"), "Loupe samples")


def default_destination(name: str) -> str:
    return os.path.join(SAMPLES_FOLDER, name)


def sample_job(name: str, out_dir: str, from_file: str | None) -> Callable:
    def job(control: RunControl) -> Iterator[SampleProgress]:
        yield from write_sample(name, out_dir, from_file)  # JobRunner stops at any yield

    return job


class SampleDatasetDialog(QDialog):
    """objectName "sampleDatasetDialog". `datasetReady(path)` when a dataset has been written."""

    datasetReady = Signal(str)

    def __init__(self, parent: QWidget | None = None, name: str = "demo") -> None:
        super().__init__(parent)
        self.setObjectName("sampleDatasetDialog")
        self.setWindowTitle("Get a sample dataset")
        self.setMinimumWidth(560)
        self.runner = JobRunner(self, name="samples")
        self.runner.event.connect(self._on_runner_event)
        self._destination_edited = False

        self.dataset_combo = QComboBox(objectName="sampleCombo")
        for key, info in SAMPLES.items():
            self.dataset_combo.addItem(info.title, key)
        self.description = QLabel(objectName="sampleDescription", wordWrap=True)
        self.destination_edit = QLineEdit(objectName="sampleDestinationEdit")
        self.destination_edit.textEdited.connect(self._on_destination_edited)
        browse = QPushButton("Browse…", objectName="sampleDestinationBrowse")
        browse.clicked.connect(self._on_destination_browse_clicked)
        self.from_edit = QLineEdit(objectName="sampleFromEdit")
        self.from_edit.setPlaceholderText("optional: an archive you downloaded elsewhere")
        self.from_browse = QPushButton("Choose file…", objectName="sampleFromBrowse")
        self.from_browse.clicked.connect(self._on_from_browse_clicked)
        self.status = QLabel(objectName="sampleStatus", wordWrap=True)
        self.progress = QProgressBar(objectName="sampleProgress")
        describe(self.progress, "Sample dataset progress")
        self.progress.setVisible(False)

        form = QFormLayout()
        form.addRow("Dataset", self.dataset_combo)
        form.addRow("", self.description)
        destination_row = _row(self.destination_edit, browse)
        form.addRow("Save into", destination_row)
        form_label_for(form, destination_row, self.destination_edit)
        self.from_label = QLabel("From a file")
        form.addRow(self.from_label, _row(self.from_edit, self.from_browse))
        label_for(self.from_label, self.from_edit)
        self.buttons = QDialogButtonBox()
        self.get_button = self.buttons.addButton(
            "Get dataset", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.get_button.setObjectName("sampleGetButton")
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.get_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        # Once the box is in the dialog: set before, the dialog made "Browse…" its default.
        self.get_button.setDefault(True)

        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_changed)
        self.dataset_combo.setCurrentIndex(max(0, list(SAMPLES).index(name)))
        self._on_dataset_changed()

    # ---- state ------------------------------------------------------------------------------

    def current_name(self) -> str:
        return str(self.dataset_combo.currentData())

    def destination(self) -> str:
        return os.path.expanduser(self.destination_edit.text().strip())

    def _on_dataset_changed(self, *_args) -> None:
        info = SAMPLES[self.current_name()]
        self.description.setText(info.description)
        if not self._destination_edited:
            self.destination_edit.setText(default_destination(info.name))
        for widget in (self.from_label, self.from_edit, self.from_browse):
            widget.setVisible(info.needs_download)
        self.status.clear()

    # ---- running ----------------------------------------------------------------------------

    def start(self) -> None:
        if self.runner.is_running():
            return
        destination = self.destination()
        if not destination:
            self._say("Choose a folder to save the dataset into.", error=True)
            return
        from_file = self.from_edit.text().strip() or None
        if not SAMPLES[self.current_name()].needs_download:
            from_file = None
        self._set_busy(True)
        self._say("")
        self.runner.start(sample_job(self.current_name(), destination, from_file))

    def _on_runner_event(self, event: object) -> None:
        if isinstance(event, SampleProgress):
            if event.total:
                set_progress(self.progress, event.done, event.total)
            self._say(event.text)
        elif isinstance(event, JobEnded):
            self._set_busy(False)
            if event.status == "finished":
                self._say(f"Done: {self.destination()}")
                self.datasetReady.emit(self.destination())
                self.accept()
            elif event.status == "failed":
                self._say(event.message.replace(FROM_FILE_HINT, "in 'From a file'"), error=True)
                # Offline or a bad file: the way forward is a file from elsewhere.
                self.from_edit.setFocus()
            else:
                self._say("Stopped; what was written is kept (Get dataset completes it).")

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0)  # busy until the first count arrives
        for widget in (self.dataset_combo, self.destination_edit, self.from_edit, self.get_button):
            widget.setEnabled(not busy)
        self.close_button.setText("Stop" if busy else "Close")

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "error" if error else "")
        self.status.setStyleSheet("QLabel { color: #C2362F; }" if error else "")

    def reject(self) -> None:
        if self.runner.is_running():  # Stop: the job ends at its next image
            self.runner.request_stop()
            return
        super().reject()

    def done(self, result: int) -> None:
        self.runner.shutdown()
        super().done(result)

    # ---- choosers ---------------------------------------------------------------------------

    def _on_destination_edited(self, _text: str) -> None:
        self._destination_edited = True

    def _on_destination_browse_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Save the dataset into", self.destination())
        if path:
            self.destination_edit.setText(os.path.join(path, self.current_name()))
            self._destination_edited = True

    def _on_from_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            f"{SAMPLES[self.current_name()].title}: the file you downloaded",
            os.path.expanduser("~"),
            "Archives (*.tar.gz *.tgz *.tar *.zip *.gz);;All files (*)",
        )
        if path:
            self.from_edit.setText(path)


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if i == 0 else 0)
    return row


def open_sample_dialog(
    parent: QWidget, on_ready: Callable[[str], None], name: str = "demo", start: bool = False
) -> SampleDatasetDialog:
    """The dialog, non-modal; `start=True` begins writing at once (the Data page's "Try a
    sample dataset"). `on_ready(path)` opens the written dataset."""
    dialog = SampleDatasetDialog(parent, name)
    dialog.datasetReady.connect(on_ready)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    if start:
        dialog.start()
    return dialog


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    dialog = SampleDatasetDialog(None, sys.argv[1] if len(sys.argv) > 1 else "demo")
    dialog.datasetReady.connect(print)
    dialog.show()
    app.exec()
