"""The Train page: the settings on the left, the live dashboard on the right, and the one
training run in progress (a gui.jobs job following a training process: core.train.child_run).
Its rules live in TrainPageModel; this class shows them and forwards clicks. Once the page is
shown, the next run's process waits ready, torch loaded (core.train.standby)."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from core.errors import LoupeError
from core.events import RunFinished, RunStarted
from core.train.child_run import child_fit, distributed_fit, is_launch_message
from core.train.config import TrainConfig, resume_config
from core.train.launch import ALL_GPUS
from core.train.presets import CUSTOM
from core.train.settings import replace_values
from core.train.standby import Standby
from gui.jobs import JobEnded, JobRunner
from gui.runs.run_records import load_run
from gui.train.model_settings import ModelSettingsPanel
from gui.train.run_notice import PLAN_STYLE
from gui.train.train_job import FitFunction, training_job
from gui.train.train_page_model import (
    Refusal,
    TrainPageModel,
    resumed_settings_note,
    settings_values,
)
from gui.train.training_dashboard import TrainingDashboard

CLOSE_TIMEOUT_S = 20.0  # a CPU step of a big model can take seconds; after this we still wait
STARTING_TEXT = "starting the training process…"  # until it says anything (torch loads)


class TrainPage(QWidget):
    """Signals: `runStarted()` (show the page), `runFinished(RunFinished)` (the run's last
    event: a new model may exist), `runEnded()` (its thread has stopped: Train is possible
    again), `settingsChanged()` (an edit in the settings panel)."""

    runStarted = Signal()
    runFinished = Signal(object)
    runEnded = Signal()
    settingsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPage")
        self.model = TrainPageModel()
        self.runner = JobRunner(self, name="train")
        # Every run trains in a child process whose events stream back (one per GPU for
        # "All N GPUs"); the multi-GPU test replaces that one with CPU processes. A run on
        # one device takes the standby process, which has loaded torch already.
        self.standby = Standby()
        # Whether torch has loaded in the window: a standby started before would share the
        # cores with that import.
        self._torch_loaded = False
        self._closing = False  # no standby after the window closed
        self.child_fit: FitFunction = lambda config, control: child_fit(
            config, control, self.standby
        )
        self.multi_gpu_fit: FitFunction = distributed_fit
        self.runner.event.connect(self.on_event)
        self.settings_panel = ModelSettingsPanel()
        self.dashboard = TrainingDashboard()

        settings_scroll = QScrollArea()
        settings_scroll.setObjectName("settingsScroll")
        settings_scroll.setWidget(self.settings_panel)
        settings_scroll.setWidgetResizable(True)
        settings_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        settings_scroll.setMinimumWidth(320)
        # Tab goes from field to field, which scrolls into view; the area is not a stop.
        settings_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # While a resumed run trains, the fields show its settings, and this says so.
        self.resume_note = QLabel()
        self.resume_note.setObjectName("resumeSettingsNote")
        self.resume_note.setWordWrap(True)
        self.resume_note.setStyleSheet(PLAN_STYLE)
        self.resume_note.hide()
        settings_side = QWidget()
        side = QVBoxLayout(settings_side)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.resume_note)
        side.addWidget(settings_scroll, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("trainSplitter")
        self.splitter.addWidget(settings_side)
        self.splitter.addWidget(self.dashboard)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([360, 1200])
        self.splitter.setChildrenCollapsible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.dashboard.trainRequested.connect(self._on_dashboard_train_requested)
        self.dashboard.stopRequested.connect(self.runner.request_stop)
        self.dashboard.pauseRequested.connect(self._on_dashboard_pause_requested)
        self.settings_panel.changed.connect(self._on_settings_panel_changed)

    # -- the dataset and workspace (told by the window) ------------------------------------

    def set_workspace(self, path: str) -> None:
        self.model.workspace = path

    def on_scan_started(self) -> None:
        self.model.scan_started()

    def on_dataset_loaded(self, path: str, report: object) -> None:
        if self.model.dataset_loaded(path, report):
            self.dashboard.hide_error()
        self.settings_panel.set_dataset_report(report)

    def on_dataset_failed(self) -> None:
        self.model.dataset_failed()
        self.settings_panel.set_dataset_report(None)

    def set_torch_info(self, info: dict) -> None:
        self.settings_panel.set_devices(info["devices"])
        self.settings_panel.set_architectures(info["architectures"])
        self._torch_loaded = True
        if self.isVisible():
            self._start_standby()

    def torch_failed(self, message: str) -> None:
        self._show_refusal(Refusal("torch", message))

    # -- starting runs ----------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.runner.is_running()

    def _on_dashboard_train_requested(self) -> None:
        if self.is_running():
            return
        data_dir = self.model.dataset_path
        problems = self.settings_panel.problems(data_dir) if data_dir else []
        refusal = self.model.refusal(problems)
        if refusal is not None:
            self._show_refusal(refusal)
            return
        config = self.model.run_config(self.settings_panel.build_config(data_dir, ""))
        self.start_training(config)

    def start_training(self, config: TrainConfig, fit: FitFunction | None = None) -> None:
        """Start a run (the Train button, Resume from the Runs page, tests with a fake fit): in
        a child process unless a test gives its own `fit`."""
        self.model.run_started()
        # A resumed run continues its curves: read them before the run appends to the files.
        history = load_run(config.out_dir) if config.resume else None
        if fit is None:
            fit = self.multi_gpu_fit if config.device == ALL_GPUS else self.child_fit
        # Connected since __init__: a run that fails at once is still reported.
        self.runner.start(training_job(config, fit), stop_at_yield=False)
        verb = "Resuming" if config.resume else "Training on"
        self.dashboard.start_run(f"{verb} {config.data_dir} → {config.out_dir}")
        self.dashboard.status_label.setText(STARTING_TEXT)
        if history is not None:
            self.dashboard.plots.set_history(history.steps, history.metrics)
        self.settings_panel.setEnabled(False)  # edits would not reach the running engine
        if config.resume:
            self._show_run_settings(config.out_dir, dataclasses.asdict(config))
        self.runStarted.emit()

    def _show_run_settings(self, run_dir: str, config: dict) -> None:
        """The fields show what a resumed run trains with (not the next run's settings, which
        come back when it ends); the page's `changed` is not emitted: the user changed none."""
        self.model.show_resumed_settings(self.settings_panel.state())
        panel = self.settings_panel
        with QSignalBlocker(panel):
            panel.restore({"values": settings_values(config)})
        if panel.presetCombo.currentText() == CUSTOM:  # not "Your own settings."
            panel.preset_description.setText("The settings this run was started with.")
        self.resume_note.setText(resumed_settings_note(run_dir, int(config.get("epochs", 0))))
        self.resume_note.show()

    def _show_own_settings(self) -> None:
        own = self.model.take_own_settings()
        if own is not None:
            with QSignalBlocker(self.settings_panel):
                self.settings_panel.restore(own)
        self.resume_note.hide()

    def settings_state(self) -> dict:
        """The user's settings, to remember (not a resumed run's, while the fields show it)."""
        return self.model.own_settings(self.settings_panel.state())

    def resume_run(self, run_dir: str, epochs: int, unlabelled: str | None = None) -> bool:
        """Continue `run_dir` until `epochs` epochs in total (the Runs page's Resume), with
        another unlabelled folder ("" for none) when `unlabelled` is not None; False (and the
        reason on the banner) when it cannot start."""
        if self.is_running():
            self.dashboard.show_error("Stop the current run before resuming another one.")
            self.runStarted.emit()
            return False
        try:
            config = resume_config(run_dir, epochs=int(epochs))
            if unlabelled is not None:
                config = replace_values(config, {"unlabelled.folder": unlabelled})
        except LoupeError as exc:
            self.dashboard.show_error(f"Cannot resume {run_dir}: {exc}")
            self.runStarted.emit()
            return False
        self.start_training(config)
        return True

    # -- the run's events -------------------------------------------------------------------

    def on_event(self, event: object) -> None:
        if isinstance(event, JobEnded):
            self.model.run_ended()
            self.dashboard.set_running(False)
            self._show_own_settings()
            self.settings_panel.setEnabled(True)
            self._start_standby()  # the next run's process (this one's has ended)
            self.runEnded.emit()
            return
        if self.model.starting and not is_launch_message(event):
            self.model.child_spoke()  # PyTorch has loaded: the run is being prepared
            if self.dashboard.status_label.text() == STARTING_TEXT:
                self.dashboard.status_label.setText("preparing…")
        self.dashboard.on_event(event)
        if isinstance(event, RunStarted) and self.model.kept_settings is not None:
            self._show_run_settings(event.run_dir, event.config)  # as the run resolved them
        if isinstance(event, RunFinished):
            # The thread ends a moment after its last event: Train waits for JobEnded.
            self.dashboard.train_button.setEnabled(False)
            self.runFinished.emit(event)

    def _on_dashboard_pause_requested(self, paused: bool) -> None:
        if paused:
            self.runner.pause()
        else:
            self.runner.resume()

    def shutdown(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Stop the run and wait for its end (the window is closing)."""
        self.runner.shutdown(int(timeout_s * 1000))
        self.end_standby()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Here to train: the next run's process loads torch while the settings are chosen (not
        # before: a window used only to classify has no use for it, ~400 MB).
        if self._torch_loaded:
            self._start_standby()

    def _start_standby(self) -> None:
        # Not beside a run: it would take the run's cores while it loads torch.
        if not self._closing and not self.is_running():
            self.standby.start()

    def end_standby(self) -> None:
        """The window is closing: end the waiting training process and start no other."""
        self._closing = True
        self.standby.end()

    # -- the settings and the refusal banner ------------------------------------------------

    def _on_settings_panel_changed(self) -> None:
        if self.model.refusal_reason == "problems":
            problems = self.settings_panel.problems(self.model.dataset_path)
            refusal = self.model.settings_changed(problems)
            if refusal is None:
                self.dashboard.hide_error()
            else:
                self._show_refusal(refusal)  # what is left to fix
        self.settingsChanged.emit()

    def _show_refusal(self, refusal: Refusal) -> None:
        self.model.refused(refusal)
        self.dashboard.show_error(refusal.text)
