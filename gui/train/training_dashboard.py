"""The live view of a training run: controls, progress, curves, predictions, confusion
matrix, per-class metrics and the log.

Slots are cheap on purpose: a StepEnded only appends to the plot buffers and remembers the
event; a ~2 Hz timer turns the latest one into progress text, and MetricsPlots redraws on its
own timer. Heavier work (matrix, grid thumbnails) happens once per epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.events import (
    CheckpointSaved,
    EpochEnded,
    LogMessage,
    PredictionsSampled,
    RunFinished,
    RunStarted,
    StepEnded,
)
from gui.train.evaluation_tabs import EvaluationTabs
from gui.train.next_steps import NextStepsRow
from gui.train.predictions_pane import PredictionsPane
from gui.train.run_notice import RunNotice
from gui.train.run_progress import RunProgress
from gui.train.train_page_model import finished_text
from gui.widgets.accessible import describe
from gui.widgets.elided_label import ElidedLabel
from gui.widgets.frame_pacer import shared_pacer
from gui.widgets.image_detail import ImageDetailDialog
from gui.widgets.metrics_plot import MetricsPlots
from gui.widgets.progress_bars import set_progress

PROGRESS_INTERVAL_MS = 500
# Widths of the progress bar and the line beside it: while a run trains the bar's "Epoch 3/5
# · step 12/40 · 30%" needs the room; once it ends, the sentence saying how ("Completed 5
# epochs; best validation accuracy 88.3%; test accuracy 85.0%.") does (at 1280 px it was
# cut after "best validation accuracy…").
TRAINING_STRETCH = (3, 2)
FINISHED_STRETCH = (1, 2)


class TrainingDashboard(QWidget):
    trainRequested = Signal()
    stopRequested = Signal()
    pauseRequested = Signal(bool)  # True: pause, False: resume

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingDashboard")
        self._running = False
        self.progress = RunProgress()
        self._epochs = 0
        self._ceiling = False  # the epoch count is "up to": see _of_epochs
        self._steps_per_epoch = 0
        self._start_epoch = 0
        self._class_names: list[str] = []
        self._handlers: dict[type, Callable[[Any], None]] = {
            RunStarted: self._on_run_started,
            LogMessage: self._on_log_message,
            StepEnded: self._on_step_ended,
            EpochEnded: self._on_epoch_ended,
            PredictionsSampled: self._on_predictions_sampled,
            CheckpointSaved: self._on_checkpoint_saved,
            RunFinished: self._on_run_finished,
        }

        self._build_controls()
        self._build_body()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(self._controls)
        layout.addLayout(self._progress_row)
        self.next_steps = NextStepsRow()  # once a run saved a model: classify, open in Runs
        layout.addWidget(self.next_steps)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.run_info)
        self.run_notice = RunNotice()  # which path the run takes and why; a guessing model
        layout.addWidget(self.run_notice)
        layout.addWidget(self.body, 1)

        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(PROGRESS_INTERVAL_MS)
        self._progress_timer.timeout.connect(self._on_progress_timer_timeout)
        self.set_running(False)

    # -- building ---------------------------------------------------------------------------

    def _build_controls(self) -> None:
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setProperty("primary", True)
        self.train_button.setToolTip("Start training with the settings on the left (Ctrl+Return)")
        self.train_button.setShortcut("Ctrl+Return")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseButton")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Pause after the current step; Resume continues exactly there")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setProperty("danger", True)
        self.stop_button.setToolTip("Stop within a second; the best model so far is kept")
        self.status_label = QLabel("Ready")
        self.status_label.setObjectName("statusLabel")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)

        self._controls = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            button.setMinimumWidth(84)
            self._controls.addWidget(button)
        self._controls.addSpacing(12)
        self._controls.addWidget(self.status_label, 1)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("trainProgress")
        describe(self.progress_bar, "Training progress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("No run yet")
        # "Early stop: validation accuracy did not improve…" must not end in "(b": it is cut
        # between words, the whole sentence in its tooltip.
        self.progress_details = ElidedLabel()
        self.progress_details.setObjectName("progressDetails")
        self.progress_details.setProperty("role", "muted")
        # Long texts ("Completed 10 epochs; ...") must not widen the window: elide instead.
        self.progress_details.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        self._progress_row = QHBoxLayout()
        self._progress_row.addWidget(self.progress_bar, TRAINING_STRETCH[0])
        self._progress_row.addWidget(self.progress_details, TRAINING_STRETCH[1])

        self.error_banner = QLabel()
        self.error_banner.setObjectName("errorBanner")
        self.error_banner.setProperty("role", "banner-error")  # style.qss
        self.error_banner.setWordWrap(True)
        self.error_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_banner.hide()
        # One line: a wrapped run folder path would push the plots down.
        self.run_info = ElidedLabel()
        self.run_info.setObjectName("runInfo")
        self.run_info.setProperty("role", "muted")
        self.run_info.hide()

        self.train_button.clicked.connect(self.trainRequested)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.pause_button.toggled.connect(self._on_pause_button_toggled)

    def _build_body(self) -> None:
        self.plots = MetricsPlots()
        self.predictions = PredictionsPane()
        self.grid = self.predictions.grid
        self.filter_label = self.predictions.filter_label
        self.mistakes_check = self.predictions.mistakes_check
        self.show_all_button = self.predictions.show_all_button
        # The matrix, the per-class table and the log, with which epoch they show.
        self.evaluation = EvaluationTabs()
        self.tabs = self.evaluation.tabs
        self.matrix = self.evaluation.matrix
        self.class_table = self.evaluation.class_table
        self.log = self.evaluation.log

        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(self.predictions)
        self.right_splitter.addWidget(self.evaluation)
        self.right_splitter.setStretchFactor(0, 3)
        self.right_splitter.setStretchFactor(1, 2)
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setObjectName("dashboardSplitter")
        self.body.addWidget(self.plots)
        self.body.addWidget(self.right_splitter)
        self.body.setStretchFactor(0, 4)
        self.body.setStretchFactor(1, 5)
        self.body.setChildrenCollapsible(False)

        # A click in the matrix filters the tiles to that cell, row or column.
        self.matrix.cellClicked.connect(self.predictions.set_filter)
        self.matrix.trueClassClicked.connect(lambda row: self.predictions.set_filter(row, None))
        self.matrix.predictedClassClicked.connect(
            lambda col: self.predictions.set_filter(None, col)
        )
        self.predictions.showAllRequested.connect(self.matrix.clear_highlight)

    # -- state ------------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self._running

    def set_running(self, running: bool) -> None:
        self._running = running
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)
            self._progress_timer.stop()

    def start_run(self, description: str = "") -> None:
        """A new run was requested: clear the previous one and show that it is preparing."""
        self.plots.repaint_in_turns()  # first: what follows changes all three plots
        self.plots.clear()
        self.evaluation.clear()
        self.predictions.clear()
        self.hide_error()
        self.next_steps.clear()
        self._epochs = self._steps_per_epoch = self._start_epoch = 0
        self._ceiling = False
        self.progress.start()
        self.run_info.set_parts("", description)
        self.run_info.setVisible(bool(description))
        self.run_notice.on_run_requested()
        self.status_label.setText("preparing…")
        self.progress_bar.setRange(0, 0)  # busy until the engine knows the step count
        self.progress_bar.setFormat("Preparing…")
        self.progress_details.setText("")
        self._set_progress_stretch(TRAINING_STRETCH)
        self.set_running(True)
        self._progress_timer.start()

    def show_error(self, text: str) -> None:
        """A readable error in the window itself (red banner); also kept in the log."""
        self.error_banner.setText(text)
        self.error_banner.show()

    def hide_error(self) -> None:
        self.error_banner.clear()
        self.error_banner.hide()

    # -- events (cheap: one call per event from the training job) ---------------------------

    def on_event(self, event: object) -> None:
        """Show one event of the run (core.events); other events are not the dashboard's."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _on_run_started(self, ev: RunStarted) -> None:
        self._epochs = int(ev.config.get("epochs", 0))
        self._ceiling = ev.epochs_are_a_ceiling
        self._steps_per_epoch = ev.steps_per_epoch
        self._start_epoch = ev.start_epoch
        self.plots.set_planned_epochs(self._epochs)
        self._class_names = list(ev.class_names)
        self.predictions.run_dir = ev.run_dir
        mode = "cached in memory" if ev.data_mode == "cache" else "streamed from disk"
        self.run_info.set_parts(
            f"{ev.arch} · {ev.param_count:,} parameters · {ev.device} · "
            f"{len(ev.class_names)} classes · {ev.train_images} training / {ev.val_images} "
            f"validation images ({mode}) · ",
            ev.run_dir,
        )
        self.run_info.show()
        self.run_notice.on_run_started(ev)
        self.progress_bar.setRange(0, max(1, self._epochs * self._steps_per_epoch))
        self.progress_bar.setValue(self._start_epoch * self._steps_per_epoch)
        self._update_progress()

    def _on_log_message(self, ev: LogMessage) -> None:
        self.log.append_message(ev)

    def _on_step_ended(self, ev: StepEnded) -> None:
        self.plots.add_step(ev)
        self.progress.step(ev)

    def _on_epoch_ended(self, ev: EpochEnded) -> None:
        self.plots.add_epoch(ev)
        self._epochs = ev.epochs
        self.evaluation.show_epoch(ev, self._class_names)
        best = " (best so far)" if ev.is_best else ""
        self.log.append(
            "info",
            f"Epoch {ev.epoch + 1}/{ev.epochs}: train loss {ev.train_loss:.4f}, "
            f"train acc {ev.train_acc * 100:.1f} %, val loss {ev.val_loss:.4f}, "
            f"val acc {ev.val_acc * 100:.1f} %{best} — {ev.seconds:.1f} s",
        )
        self._update_progress()

    def _on_predictions_sampled(self, ev: PredictionsSampled) -> None:
        self._class_names = list(ev.class_names)
        # New tiles, new layout: the grid repaints in its own frame (at 4K its repaint alone
        # is ~10 ms; with the matrix and the plots in the same frame, 50 ms and more).
        shared_pacer().repaint_later(self.predictions.grid)
        self.predictions.set_predictions(ev)

    def _on_checkpoint_saved(self, ev: CheckpointSaved) -> None:
        if ev.kind == "best":  # "last" is saved every epoch: not worth a line
            self.log.append(
                "info", f"Saved the best model so far (epoch {ev.epoch + 1}): {ev.path}"
            )

    def _on_run_finished(self, ev: RunFinished) -> None:
        self.evaluation.run_finished(ev.best_epoch)
        self.set_running(False)
        self.run_notice.on_run_finished(ev)
        self.next_steps.on_run_finished(ev)
        self.status_label.setText(finished_text(ev))
        self.status_label.setToolTip(ev.reason)
        level = "error" if ev.status == "failed" else "info"
        self.log.append(level, ev.reason)
        if ev.model_path:
            self.log.append("info", f"Model: {ev.model_path}")
        if ev.status == "failed":
            self.show_error(f"Training failed: {ev.reason}")
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat("Failed")
            self.tabs.setCurrentWidget(self.log)
        else:
            self._update_progress()
            if ev.status in ("completed", "early_stopped"):
                self.progress_bar.setValue(self.progress_bar.maximum())
            self.progress_details.setText(ev.reason)
            self._set_progress_stretch(FINISHED_STRETCH)

    # -- progress text (timer driven) -------------------------------------------------------

    def _on_progress_timer_timeout(self) -> None:
        self._update_progress()

    def _update_progress(self) -> None:
        ev = self.progress.last_step
        if ev is not None and self._epochs:
            maximum = self.progress_bar.maximum() or max(1, self._epochs * ev.steps_per_epoch)
            set_progress(
                self.progress_bar,
                min(maximum, ev.global_step + 1),
                maximum,
                f"Epoch {ev.epoch + 1}{self._of_epochs('/')} · step {ev.step + 1}/"
                f"{ev.steps_per_epoch} · %p%",
            )
        if not self._running:
            return
        self.progress_details.setText(self.progress.details())
        if ev is None or self.progress.paused or not self.stop_button.isEnabled():
            return  # "paused", "resuming…" and "stopping…" stay until the run moves on
        self.status_label.setText(f"training — epoch {ev.epoch + 1}{self._of_epochs(' of ')}")

    def _set_progress_stretch(self, stretch: tuple[int, int]) -> None:
        for index, factor in enumerate(stretch):
            self._progress_row.setStretch(index, factor)

    def _of_epochs(self, separator: str) -> str:
        """ "/25", or " of up to 25" when the run may stop earlier on its own (auto epochs)."""
        return f" of up to {self._epochs}" if self._ceiling else f"{separator}{self._epochs}"

    # -- controls ---------------------------------------------------------------------------

    def _on_stop_button_clicked(self) -> None:
        self.stop_button.setEnabled(False)
        self.pause_button.setEnabled(False)
        self.status_label.setText("stopping…")
        self.stopRequested.emit()

    def _on_pause_button_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self.progress.pause()
            self.status_label.setText("paused")
        else:
            self.progress.resume()
            self.status_label.setText("resuming…")
        self.pauseRequested.emit(paused)

    def detail_dialog(self) -> ImageDetailDialog | None:
        return self.predictions.detail_dialog()


if __name__ == "__main__":
    from gui.demo.demo_app import run_demo
    from gui.demo.page_demos import training_dashboard_demo

    run_demo(training_dashboard_demo, "TrainingDashboard demo")
