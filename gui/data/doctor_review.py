"""The "Check dataset" window: runs the dataset doctor off the GUI thread (gui.jobs) with
progress and Cancel, then lists the findings for review: thumbnails side by side for
duplicates and leaks, the suggested class for label errors. Actions on the selection:
move to a class, exclude, keep; Undo reverses the last move; Retrain asks the window for a
new run with the same settings. The rules live in DoctorReviewModel (Qt-free)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.command_name import command_line
from core.data.doctor import DoctorConfig, DoctorFinished, DoctorProgress, check_dataset
from core.errors import LoupeError
from gui.data.doctor_review_model import DoctorReviewModel, ReviewItem
from gui.jobs import JobEnded, JobRunner
from gui.widgets.progress_bars import set_progress
from gui.widgets.thumbnail_cache import decode_thumbnail

THUMB = 72  # px per image in a row
MAX_SIDE_BY_SIDE = 4  # images drawn per group row; the text names them all
# The role each image plays in training: a file under train/ may be held out for validation,
# and "val/balls" beside train/balls/x.jpg read as a contradiction.
SPLIT_WORDS = {"train": "training", "val": "validation", "test": "test"}
_ITEM_ROLE = Qt.ItemDataRole.UserRole


def doctor_job(config: DoctorConfig):
    def job(control):
        yield from check_dataset(config, control)

    return job


class DoctorDialog(QDialog):
    retrainRequested = Signal()  # files moved: the window starts a run with the same settings

    def __init__(
        self, data_dir: str, val_split: float = 0.2, seed: int = 0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check dataset")
        self.resize(900, 640)
        self.config = DoctorConfig(data_dir, None, val_split, seed)
        self.model: DoctorReviewModel | None = None
        self.runner = JobRunner(self, name="doctor")
        self.runner.event.connect(self._on_job_event)
        self._build()

    def _build(self) -> None:
        self.status_label = QLabel("")
        self.status_label.setObjectName("doctorStatus")
        self.status_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        top = QHBoxLayout()
        top.addWidget(self.progress_bar, 1)
        top.addWidget(self.cancel_button)

        self.list = QListWidget()
        self.list.setObjectName("doctorFindings")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setIconSize(QSize(THUMB * MAX_SIDE_BY_SIDE + 6, THUMB))
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemSelectionChanged.connect(self._on_list_selection_changed)

        self.class_box = QComboBox()
        self.class_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.move_button = QPushButton("Move to class")
        self.exclude_button = QPushButton("Exclude")
        self.exclude_button.setToolTip(
            "Move into _excluded/ (training ignores it). For a group: the extra copies; for a "
            "leak: the copies in train."
        )
        self.keep_button = QPushButton("Keep")
        self.keep_button.setToolTip("Nothing is wrong here: do not show it again")
        self.undo_button = QPushButton("Undo")
        self.retrain_button = QPushButton("Retrain")
        self.retrain_button.setToolTip("Start a new run on the corrected data, same settings")
        self.move_button.clicked.connect(self._on_move_clicked)
        self.exclude_button.clicked.connect(self._on_exclude_clicked)
        self.keep_button.clicked.connect(self._on_keep_clicked)
        self.undo_button.clicked.connect(self._on_undo_clicked)
        self.retrain_button.clicked.connect(self._on_retrain_clicked)
        actions = QHBoxLayout()
        for widget in (self.class_box, self.move_button, self.exclude_button, self.keep_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        actions.addWidget(self.retrain_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addLayout(actions)
        self._update_buttons()

    # ---- the check ----------------------------------------------------------------------

    def start(self) -> None:
        self.status_label.setText(f"Checking {self.config.data_dir} …")
        self.progress_bar.setVisible(True)
        self.cancel_button.setVisible(True)
        self.runner.start(doctor_job(self.config))

    def _on_cancel_clicked(self) -> None:
        self.runner.request_stop()
        self.status_label.setText("Stopping …")

    def _on_job_event(self, event: object) -> None:
        if isinstance(event, DoctorProgress):
            self.status_label.setText(f"{event.stage} …")
            if event.total <= 1 and event.done == 0:  # a stage that counts nothing: busy
                self.progress_bar.setRange(0, 0)
            else:
                set_progress(self.progress_bar, event.done, event.total)
        elif isinstance(event, DoctorFinished):
            self.status_label.setText(event.reason)
            if event.report is not None:
                self.show_report(event.report)
        elif isinstance(event, JobEnded):
            self.progress_bar.setVisible(False)
            self.cancel_button.setVisible(False)
            if event.status == "stopped":
                self.status_label.setText("Check stopped; nothing was changed.")
            elif event.status == "failed":
                self.status_label.setText(event.message)

    def show_report(self, report: dict) -> None:
        self.model = DoctorReviewModel(self.config.data_dir, report)
        self.class_box.clear()
        self.class_box.addItems(self.model.class_names)
        self._refill()

    # ---- the list -----------------------------------------------------------------------

    def _thumbs(self, item: ReviewItem) -> QIcon:
        pixmap = QPixmap(THUMB * MAX_SIDE_BY_SIDE + 6, THUMB)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        for k, path in enumerate(item.paths[:MAX_SIDE_BY_SIDE]):
            image = decode_thumbnail(os.path.join(self.config.data_dir, path), THUMB, True)
            if not image.isNull():
                painter.drawImage(k * (THUMB + 2), (THUMB - image.height()) // 2, image)
        painter.end()
        return QIcon(pixmap)

    def _refill(self) -> None:
        assert self.model is not None
        self.list.clear()
        for finding in self.model.open_items():
            where = ", ".join(
                f"{c} ({SPLIT_WORDS.get(s, s)})" if s else c
                for s, c in zip(finding.splits, finding.labels)
            )
            row = QListWidgetItem(self._thumbs(finding), f"{finding.text()}\n{where}")
            row.setData(_ITEM_ROLE, finding)
            self.list.addItem(row)
        self._update_buttons()

    def selected(self) -> list[ReviewItem]:
        return [row.data(_ITEM_ROLE) for row in self.list.selectedItems()]

    def _on_list_selection_changed(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1 and chosen[0].suggested:
            self.class_box.setCurrentText(chosen[0].suggested)
        self._update_buttons()

    def _update_buttons(self) -> None:
        some = bool(self.selected())
        for button in (self.move_button, self.exclude_button, self.keep_button):
            button.setEnabled(some)
        self.class_box.setEnabled(some)
        self.undo_button.setEnabled(self.model is not None and self.model.can_undo())
        self.retrain_button.setEnabled(self.model is not None and self.model.changed)

    # ---- actions ------------------------------------------------------------------------

    def _act(self, work) -> None:
        try:
            manifest = work()
        except (LoupeError, OSError) as exc:
            QMessageBox.warning(self, "Check dataset", str(exc))
            return
        if manifest:
            self.status_label.setText(f"Moved. Undo, or: {command_line('undo', manifest)}")
        self._refill()

    def _on_move_clicked(self) -> None:
        target = self.class_box.currentText()
        paths = [p for item in self.selected() for p in item.paths]
        self._act(lambda: self.model.move(paths, target))

    def _on_exclude_clicked(self) -> None:
        paths = [p for item in self.selected() for p in item.extra_copies()]
        self._act(lambda: self.model.exclude(paths))

    def _on_keep_clicked(self) -> None:
        chosen = self.selected()
        self._act(lambda: self.model.keep(chosen))

    def _on_undo_clicked(self) -> None:
        self._act(lambda: self.status_label.setText(self.model.undo()))

    def _on_retrain_clicked(self) -> None:
        self.retrainRequested.emit()

    def done(self, result: int) -> None:
        if self.runner.is_running():
            self.runner.cancel()
        super().done(result)


if __name__ == "__main__":  # python -m gui.data.doctor_review DATA_DIR: the window on its own
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    window = DoctorDialog(sys.argv[1] if len(sys.argv) > 1 else ".")
    window.show()
    window.start()
    sys.exit(app.exec())
