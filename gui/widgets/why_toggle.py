"""The "Why?" toggle of the image detail dialog: overlays a Grad-CAM heat map for the
predicted class, or for any class clicked in the top-5 list, computed as a gui.jobs job
(gui.widgets.why_job) so the window stays responsive. Off again, the photo comes back."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from gui.jobs import JobEnded, JobRunner
from gui.widgets.why_job import WhyResult, why_job

HINT = "Show where in the image the evidence for a class lies (Grad-CAM)"


class WhyToggle(QObject):
    """`widget` holds the button and a caption. `set_model(path)` and `set_image(path,
    image)` say what can be explained; `explain_class(name)` switches the class.
    `overlayShown(class_name)` fires when a heat map is on screen (tests, screenshots);
    `numbersShown(result)` with the WhyResult then, and with None when the toggle goes off:
    the dialog shows the explained model's numbers beside its heat map."""

    overlayShown = Signal(str)
    numbersShown = Signal(object)  # WhyResult | None

    def __init__(self, show_image, parent: QWidget) -> None:
        super().__init__(parent)
        self._show_image = show_image  # callable(QImage): the dialog's picture
        self.model_path = ""
        self.image_path = ""
        self.photo = QImage()
        self.class_name: str | None = None  # None: the predicted class
        self.runner = JobRunner(self, name="why")
        self.runner.event.connect(self._on_job_event)

        self.button = QPushButton("Why?", objectName="detailWhyButton", checkable=True)
        self.button.setToolTip(HINT)
        self.caption = QLabel(objectName="detailWhyCaption", wordWrap=True)
        self.caption.setProperty("role", "muted")
        self.caption.hide()
        self.widget = QWidget(parent)
        box = QVBoxLayout(self.widget)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.caption)
        self.button.toggled.connect(self._on_button_toggled)
        self._update_enabled()

    # -- what can be explained -------------------------------------------------------------

    def set_model(self, model_path: str) -> None:
        self.model_path = model_path or ""
        self._update_enabled()

    def set_image(self, image_path: str, photo: QImage) -> None:
        """A new image in the dialog: explain it too if the toggle is on."""
        self.image_path, self.photo, self.class_name = image_path, photo, None
        self._update_enabled()
        if self.button.isChecked() and self.button.isEnabled():
            self._start()
        else:
            self.button.setChecked(False)

    def explain_class(self, class_name: str) -> None:
        """A class clicked in the top-5 list: its heat map (turning the toggle on)."""
        if not self.button.isEnabled():
            return
        self.class_name = class_name
        if self.button.isChecked():
            self._start()
        else:
            self.button.setChecked(True)

    def shutdown(self) -> None:
        self.runner.shutdown(timeout_ms=0, stop=True)

    # -- internals -------------------------------------------------------------------------

    def _update_enabled(self) -> None:
        ok = bool(self.model_path) and os.path.isfile(self.image_path)
        self.button.setEnabled(ok)
        self.button.setToolTip(HINT if ok else "Needs the image file and the model that judged it")

    def _on_button_toggled(self, on: bool) -> None:
        self.button.setText("Why? ✓" if on else "Why?")  # on or off at a glance, any style
        if on:
            self._start()
            return
        self.runner.cancel()
        self.caption.hide()
        if not self.photo.isNull():
            self._show_image(self.photo)
        self.numbersShown.emit(None)

    def _start(self) -> None:
        self.runner.cancel()  # a newer question replaces an unanswered one
        which = f"'{self.class_name}'" if self.class_name else "the predicted class"
        self.caption.setText(f"Computing the heat map for {which} …")
        self.caption.show()
        self.runner.start(why_job(self.model_path, self.image_path, self.class_name))

    def _on_job_event(self, event: object) -> None:
        if not isinstance(event, JobEnded) or not self.button.isChecked():
            return
        result = event.result
        if event.status != "finished" or not isinstance(result, WhyResult):
            self.caption.setText(f"No heat map: {event.message or 'stopped'}")
            return
        if result.image_path != self.image_path:
            return
        h, w = result.overlay.shape[:2]
        image = QImage(result.overlay.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self._show_image(image)
        self.caption.setText(
            f"Heat map for <b>{result.class_name}</b> ({result.confidence * 100:.1f} %): "
            "warm areas pushed the model towards this class. Click a class above to see "
            "its evidence; the picture is the part of the image the model saw."
        )
        self.numbersShown.emit(result)
        self.overlayShown.emit(result.class_name)
