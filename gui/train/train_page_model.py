"""The Train page's state and rules, without Qt: which dataset a run would train, whether
Train is allowed and, if not, why; when the refusal banner may go; where a new run's folder
goes; whose settings the fields show while a run is resumed; what a run that ended offers
next. gui.train.train_page renders it; tests drive it directly."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Literal

from core.events import RunFinished
from core.files.run_folder import new_run_dir
from core.train.config import TrainConfig
from core.train.defaults import expected_arch

# Why Train refused, while that is on the banner: "problems" (settings: it goes once they
# are fixed), "dataset" (none or still scanning: it goes once one is loaded), "torch" (no
# PyTorch: it stays), "" (no refusal on show).
RefusalReason = Literal["", "problems", "dataset", "torch"]

STILL_SCANNING = (
    "The dataset is still being checked on the Data page: press Train again once the scan "
    "has finished."
)
NO_DATASET = (
    "Choose a dataset folder first: on the Data page, with File ▸ Open, or by dropping a "
    "folder onto the window."
)


@dataclass(frozen=True)
class Refusal:
    reason: RefusalReason
    text: str


def problems_text(problems: list[str]) -> str:
    return "Cannot start training:\n• " + "\n• ".join(problems)


class TrainPageModel:
    """Plain state; the page calls these methods and shows what they return."""

    def __init__(self, workspace: str = "") -> None:
        self.workspace = workspace
        self.dataset_path = ""  # the dataset a run would train ('' when none is loaded)
        self.dataset_report: Any = None  # its core.data.datasets.DatasetReport
        self.scanning = False  # the Data page is checking a (new) folder
        self.running = False
        self.starting = False  # the run's process has not said anything yet
        self.refusal_reason: RefusalReason = ""
        # The user's settings (the panel's state), kept aside while the fields show those of
        # a resumed run: it trains with its own, not with what the panel held.
        self.kept_settings: dict[str, Any] | None = None

    # -- the dataset, as the Data page reports it -----------------------------------------

    def scan_started(self) -> None:
        self.scanning = True

    def dataset_loaded(self, path: str, report: Any) -> bool:
        """True when a "no dataset" refusal on show can go now."""
        self.scanning = False
        self.dataset_path, self.dataset_report = path, report
        return self._clear_if("dataset")

    def dataset_failed(self) -> None:
        # The folder on show is not a dataset: neither its path nor the previous dataset's
        # facts ("your images are about 96×96") apply any more.
        self.scanning = False
        self.dataset_path, self.dataset_report = "", None

    # -- starting a run -------------------------------------------------------------------

    def refusal(self, problems: list[str]) -> Refusal | None:
        """Why Train must not start now (None: it may). `problems`: the settings' problems
        for the current dataset (ModelSettingsPanel.problems)."""
        if self.running:
            return None
        if self.scanning:
            # dataset_path is still the previous dataset: training it would surprise.
            return Refusal("dataset", STILL_SCANNING)
        if not self.dataset_path:
            return Refusal("dataset", NO_DATASET)
        if problems:
            return Refusal("problems", problems_text(problems))
        return None

    def refused(self, refusal: Refusal) -> None:
        self.refusal_reason = refusal.reason

    def settings_changed(self, problems: list[str]) -> Refusal | None:
        """After an edit while a "problems" refusal is on show: what is left to fix, or None
        when the banner can go."""
        if problems:
            return Refusal("problems", problems_text(problems))
        self.refusal_reason = ""
        return None

    def run_config(self, config: TrainConfig) -> TrainConfig:
        """`config` with a fresh run folder in the workspace (named after the dataset and,
        for small images, the architecture "auto" will choose)."""
        arch = expected_arch(config.arch, self.dataset_report, config.image_size)
        out_dir = new_run_dir(self.workspace, config.data_dir, arch)
        return dataclasses.replace(config, out_dir=out_dir)

    def run_started(self) -> None:
        self.running = True
        self.starting = True
        self.refusal_reason = ""  # the run's own banner (a failure) must stay

    def child_spoke(self) -> None:
        """The run's first event from its training process: it is no longer starting."""
        self.starting = False

    def run_ended(self) -> None:
        self.running = False
        self.starting = False

    # -- a resumed run's settings on show -------------------------------------------------

    def show_resumed_settings(self, own: dict[str, Any]) -> None:
        """The fields are about to show a resumed run's settings: keep the user's (`own`)."""
        if self.kept_settings is None:
            self.kept_settings = own

    def own_settings(self, shown: dict[str, Any]) -> dict[str, Any]:
        """The user's settings (to remember): those kept aside, else the ones `shown`."""
        return shown if self.kept_settings is None else self.kept_settings

    def take_own_settings(self) -> dict[str, Any] | None:
        """The run ended: the settings to show again (None: the user's are on show)."""
        kept, self.kept_settings = self.kept_settings, None
        return kept

    def _clear_if(self, reason: RefusalReason) -> bool:
        if self.refusal_reason == reason:
            self.refusal_reason = ""
            return True
        return False


def resumed_settings_note(run_dir: str, epochs: int) -> str:
    """Above the fields while they show a resumed run's settings."""
    name = os.path.basename(os.path.normpath(run_dir))
    return (
        f"These are the settings of {name}, resumed until epoch {epochs}. Your settings come "
        "back when it ends."
    )


def settings_values(config: dict[str, Any]) -> dict[str, Any]:
    """A run's config (as in config.json) as the settings panel's values ('augment.<name>')."""
    values: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            values.update({f"{key}.{name}": item for name, item in value.items()})
        else:
            values[key] = value
    return values


def evaluation_note(epoch: int, best_epoch: int | None, finished: bool) -> str:
    """What the confusion matrix and the per-class table show, next to the saved model they
    may differ from: they are the last validation pass (`epoch`, 0-based), the saved model is
    the best one (`best_epoch`; None: from before this run, when it was resumed)."""
    shown = f"Epoch {epoch + 1}" + (" (the last)" if finished else "")
    best = "the best" if finished else "the best so far"
    if best_epoch == epoch:
        return f"{shown}: {best}, the saved model."
    if best_epoch is None:
        return f"{shown}; the saved model is {best}, from an earlier epoch."
    return f"{shown}; the saved model is {best}, from epoch {best_epoch + 1}."


def finished_text(ev: RunFinished) -> str:
    """statusLabel's words when a run ends: the status as the Runs page words it
    (completed, early stopped, stopped, failed)."""
    best = (
        f"best validation accuracy {ev.best_val_acc * 100:.1f} %"
        if ev.best_val_acc is not None
        else ""
    )
    if ev.status == "completed":
        return f"completed — {best}" if best else "completed"
    if ev.status == "early_stopped":
        return f"early stopped — {best}" if best else "early stopped"
    if ev.status == "stopped":
        if best:
            return f"stopped — kept the best model ({best})"
        return "stopped — model saved" if ev.model_path else "stopped"
    return "failed — see the message above"


@dataclass(frozen=True)
class NextSteps:
    """What the Train page offers once a run has saved a model (gui.train.next_steps)."""

    run_dir: str
    # "" for a model that learned; else the guessing warning (run.json's "verdict", the same
    # sentence), asked before classifying with it as the Runs page asks.
    verdict: str


def next_steps_for(ev: RunFinished) -> NextSteps | None:
    """The run whose model can be used next (classify with it, open it in Runs), or None when
    the run saved none (stopped before its first epoch ended) or failed."""
    if ev.status == "failed" or not ev.model_path:
        return None
    return NextSteps(ev.run_dir, ev.verdict)
