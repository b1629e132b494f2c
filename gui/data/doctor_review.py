"""The "Check dataset" window: runs the dataset doctor off the GUI thread (gui.jobs) with
progress and Cancel, then lists the findings for review: thumbnails side by side for
duplicates and leaks, the suggested class for label errors. Actions on the selection:
move to a class, exclude, keep; each says what it moved where. "Show kept" lists the kept
findings too, marked as kept, and "Show again" puts them back among the open ones. Undo
reverses the last step (also a change made before this check and still in place); Retrain
asks the window for a new run with the same settings. The rules live in DoctorReviewModel
(Qt-free)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.command_name import command_line
from core.data.doctor import DoctorConfig, DoctorFinished, DoctorProgress
from core.data.doctor_process import check_in_process
from core.errors import LoupeError
from gui.data.doctor_findings_list import ROLE, FindingsList
from gui.data.doctor_review_model import DoctorReviewModel, ReviewItem
from gui.data.doctor_thumbnails import RowStrips
from gui.jobs import JobEnded, JobRunner
from gui.widgets.accessible import describe
from gui.widgets.progress_bars import set_progress

THUMB = 72  # px per image in a row
MAX_SIDE_BY_SIDE = 4  # images drawn per group row; the text names them all
MOVE_TIP = "Move the selected images into the class chosen on the left"
GROUP_MOVE_TIP = (
    "Move to class is for a label error, an outlier or the same picture in different "
    "classes; copies of one picture in one class go with Exclude"
)
_ITEM_ROLE = ROLE  # a row's finding


def doctor_job(config: DoctorConfig):
    def job(control):  # in a process of its own: in a thread here it froze the window
        yield from check_in_process(config, control)

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
        self.strips = RowStrips(data_dir, THUMB, MAX_SIDE_BY_SIDE, parent=self)  # in a thread
        self._build()

    def _build(self) -> None:
        self.status_label = QLabel("")
        self.status_label.setObjectName("doctorStatus")
        self.status_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        describe(self.progress_bar, "Dataset check progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.kept_box = QCheckBox("Show kept")
        self.kept_box.setObjectName("doctorShowKept")
        self.kept_box.setToolTip(
            "Also list the findings you kept (here or in an earlier check), marked 'Kept'; "
            "Show again puts the selected ones back among the open findings"
        )
        self.kept_box.toggled.connect(self._refill)
        top = QHBoxLayout()
        top.addWidget(self.progress_bar, 1)
        top.addWidget(self.cancel_button)
        top.addWidget(self.kept_box, 0, Qt.AlignmentFlag.AlignRight)

        self.list = FindingsList(self.strips)  # only changed rows are made again
        self.list.setObjectName("doctorFindings")
        describe(self.list, "Findings")
        self.list.itemSelectionChanged.connect(self._on_list_selection_changed)

        self.class_box = QComboBox()
        self.class_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_box.setPlaceholderText("Which class?")
        describe(self.class_box, "Class to move to", "Move to class moves the selected images here")
        self.class_box.currentIndexChanged.connect(self._update_buttons)
        self.move_button = QPushButton("Move to class")
        self.exclude_button = QPushButton("Exclude")
        self.exclude_button.setToolTip(
            "Move into _excluded/ (training ignores it). Copies in different classes: all of "
            "them (which label is right cannot be told); copies in train and in validation or "
            "test: the train ones; other copies: all but the first."
        )
        self.keep_button = QPushButton("Keep")
        self.keep_button.setToolTip(
            "Nothing is wrong here: do not show it again (Undo, or later Show kept and Show again)"
        )
        self.show_again_button = QPushButton("Show again")
        self.show_again_button.setToolTip(
            "Put the selected kept findings back among the open ones, also in later checks "
            "(Undo keeps them again)"
        )
        self.undo_button = QPushButton("Undo")
        self.retrain_button = QPushButton("Retrain")
        self.retrain_button.setToolTip("Start a new run on the corrected data, same settings")
        self.move_button.clicked.connect(self._on_move_clicked)
        self.exclude_button.clicked.connect(self._on_exclude_clicked)
        self.keep_button.clicked.connect(self._on_keep_clicked)
        self.show_again_button.clicked.connect(self._on_show_again_clicked)
        self.undo_button.clicked.connect(self._on_undo_clicked)
        self.retrain_button.clicked.connect(self._on_retrain_clicked)
        actions = QHBoxLayout()
        for widget in (
            self.class_box,
            self.move_button,
            self.exclude_button,
            self.keep_button,
            self.show_again_button,
        ):
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
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)  # see keyPressEvent
        self.list.setFocus()  # not Cancel, Qt's pick: Return would stop the check

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        # No button here is auto-default (_build): Qt would make the first one after the
        # focus the dialog's default, framed as such, and Return in the list would press it
        # ("Move to class"). Return presses the focused button, and nothing else.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = self.focusWidget()
            if isinstance(focused, QPushButton) and focused.isEnabled():
                focused.click()
            event.accept()
            return
        super().keyPressEvent(event)

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
        self.class_box.setCurrentIndex(-1)
        self._refill()
        for note in (self.model.kept_note(), self.model.earlier and self.model.next_undo()):
            if note:
                self.status_label.setText(f"{self.status_label.text()} {note}.")

    # ---- the list -----------------------------------------------------------------------

    def _refill(self) -> None:
        """Show the findings as they are now (with Show kept, the kept ones too, marked as
        kept); the selection stays where it was: on the same findings while they are
        listed, else on the next finding still listed (or the last one)."""
        assert self.model is not None
        rows = [(item, self.model.is_kept(item)) for item in self.model.listed(with_kept=True)]
        kept = sum(is_kept for _item, is_kept in rows)
        self.kept_box.blockSignals(True)
        if not kept:
            self.kept_box.setChecked(False)  # nothing kept: nothing to show
        self.kept_box.setText(f"Show kept ({kept})")
        self.kept_box.setEnabled(bool(kept))
        self.kept_box.blockSignals(False)
        if not self.kept_box.isChecked():
            rows = [row for row in rows if not row[1]]
        self.list.show_findings(rows)
        self._on_list_selection_changed()

    def selected(self) -> list[ReviewItem]:
        return [row.data(_ITEM_ROLE) for row in self.list.selectedItems()]

    def _on_list_selection_changed(self) -> None:
        """A label error's suggestion is preselected; for anything else the class is yours
        to choose (never a class left over from another row)."""
        suggested = {item.suggested for item in self.selected()}
        self.class_box.blockSignals(True)
        if len(suggested) == 1 and "" not in suggested:
            self.class_box.setCurrentText(suggested.pop())
        else:
            self.class_box.setCurrentIndex(-1)
        self.class_box.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected()
        movable = bool(chosen) and all(item.movable for item in chosen)
        self.class_box.setEnabled(movable)
        self.move_button.setEnabled(movable and self.class_box.currentIndex() >= 0)
        self.move_button.setToolTip(MOVE_TIP if movable or not chosen else GROUP_MOVE_TIP)
        self.exclude_button.setEnabled(bool(chosen))
        kept = [self.model is not None and self.model.is_kept(item) for item in chosen]
        self.keep_button.setEnabled(not all(kept))
        self.show_again_button.setEnabled(any(kept))
        self.show_again_button.setVisible(self.kept_box.isChecked())
        self.kept_box.setVisible(self.model is not None)
        can_undo = self.model is not None and self.model.can_undo()
        self.undo_button.setEnabled(can_undo)
        self.undo_button.setToolTip(self.model.next_undo() if can_undo else "")
        self.retrain_button.setEnabled(self.model is not None and self.model.changed)

    # ---- actions ------------------------------------------------------------------------

    def _act(self, work) -> None:
        """Run an action that returns the status sentence, then show the rows as they are."""
        try:
            self.status_label.setText(work())
        except (LoupeError, OSError) as exc:
            QMessageBox.warning(self, "Check dataset", str(exc))
        self._refill()

    def _moved(self, manifest: str | None, done: str, nothing: str) -> str:
        if not manifest:
            return nothing
        moves = self.model.moves_text(manifest)
        return f"{done}: {moves}. Undo, or: {command_line('undo', manifest)}"

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Check dataset", question)
        return answer == QMessageBox.StandardButton.Yes

    def _on_move_clicked(self) -> None:
        target = self.class_box.currentText()
        chosen = self.selected()
        question = self.model.move_question(chosen, target)
        if question and not self._confirm(question):
            return
        paths = [p for item in chosen for p in item.paths]
        self._act(
            lambda: self._moved(
                self.model.move(paths, target),
                f"Moved to '{target}'",
                f"Nothing moved: already '{target}'.",
            )
        )

    def _on_exclude_clicked(self) -> None:
        chosen = self.selected()
        paths = [p for item in chosen for p in item.extra_copies()]
        done = "Excluded (training ignores _excluded/)"
        if any(item.label_conflict for item in chosen):
            done = (
                "Excluded every copy of a picture in two classes (which label is right cannot "
                "be told; to keep it, Undo and use Move to class)"
            )
        self._act(lambda: self._moved(self.model.exclude(paths), done, "Nothing moved."))

    def _on_keep_clicked(self) -> None:
        chosen = self.selected()
        self._act(lambda: self.model.keep(chosen))

    def _on_show_again_clicked(self) -> None:
        chosen = self.selected()
        self._act(lambda: self.model.show_again(chosen))

    def _on_undo_clicked(self) -> None:
        self._act(self.model.undo)

    def _on_retrain_clicked(self) -> None:
        self.retrainRequested.emit()

    def done(self, result: int) -> None:
        if self.runner.is_running():
            self.runner.cancel()
        self.list.stop()
        self.strips.stop()
        super().done(result)


if __name__ == "__main__":  # python -m gui.data.doctor_review DATA_DIR: the window on its own
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    window = DoctorDialog(sys.argv[1] if len(sys.argv) > 1 else ".")
    window.show()
    window.start()
    sys.exit(app.exec())
