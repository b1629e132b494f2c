"""The Train page's row of what to do with the model a run just saved: classify images with
it, or open it on the Runs page (test it on a folder, export it, compare it with other runs).
It shows when such a run ends, under the progress bar where the eye is then, and hides when
the next run starts; train_page_model.next_steps_for decides when. A model that only guesses
is never offered silently: classifying with it asks first, as the Runs page does."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from core.events import RunFinished
from gui.runs.guessing_warning import confirm_classify_with
from gui.train.train_page_model import NextSteps, next_steps_for
from gui.widgets.accessible import describe

CLASSIFY_TIP = "Open the Classify page with this run's model chosen"
GUESSING_TIP = "This model is guessing: Loupe asks before classifying with it"
RUNS_TIP = "On the Runs page: test it on a folder, export it, compare it with other runs"


class NextStepsRow(QWidget):
    """objectName "nextSteps". Signals carry the run folder: `classifyRequested(run_dir)`
    (for a guessing model only once the user chose "Classify anyway"),
    `openInRunsRequested(run_dir)`."""

    classifyRequested = Signal(str)
    openInRunsRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nextSteps")
        self.offer: NextSteps | None = None
        self.label = QLabel("Next:")
        self.label.setProperty("role", "muted")
        self.classify_button = QPushButton("Classify images with this model")
        self.classify_button.setObjectName("nextClassifyButton")
        self.classify_button.setToolTip(CLASSIFY_TIP)
        self.runs_button = QPushButton("Open in Runs")
        self.runs_button.setObjectName("nextOpenInRunsButton")
        self.runs_button.setToolTip(RUNS_TIP)
        describe(self.runs_button, "Open in Runs", RUNS_TIP)
        for button in (self.classify_button, self.runs_button):
            # Made with the page, but a page built on its own (a demo, a test) gets no
            # enter_clicks_buttons: Return presses the focused button here too.
            button.setAutoDefault(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.classify_button)
        row.addWidget(self.runs_button)
        row.addStretch(1)
        self.classify_button.clicked.connect(self._on_classify_button_clicked)
        self.runs_button.clicked.connect(self._on_runs_button_clicked)
        self.hide()

    def on_run_finished(self, ev: RunFinished) -> None:
        self.offer = next_steps_for(ev)
        guessing = self.offer is not None and bool(self.offer.verdict)
        tip = GUESSING_TIP if guessing else CLASSIFY_TIP
        self.classify_button.setToolTip(tip)
        describe(self.classify_button, self.classify_button.text(), tip)
        self.setVisible(self.offer is not None)

    def clear(self) -> None:
        """A new run: its predecessor's model is no longer the one on show."""
        self.offer = None
        self.hide()

    def _on_classify_button_clicked(self) -> None:
        offer = self.offer
        if offer is not None and confirm_classify_with(self, {"verdict": offer.verdict}):
            self.classifyRequested.emit(offer.run_dir)

    def _on_runs_button_clicked(self) -> None:
        if self.offer is not None:
            self.openInRunsRequested.emit(self.offer.run_dir)


def next_steps_demo() -> NextStepsRow:
    row = NextStepsRow()
    row.on_run_finished(
        RunFinished("completed", "Completed.", "/tmp/run", 5, 0.9, 4, "/tmp/run/model.safetensors")
    )
    row.classifyRequested.connect(lambda run_dir: print("classify with", run_dir))
    row.openInRunsRequested.connect(lambda run_dir: print("open in Runs", run_dir))
    return row


if __name__ == "__main__":
    from gui.demo.demo_app import run_demo

    run_demo(next_steps_demo, "NextStepsRow demo")
