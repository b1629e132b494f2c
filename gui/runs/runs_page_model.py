"""The Runs page's state and rules, without Qt: the workspace's runs, which are selected,
what each action may do with them and why not, and the epoch count of a run being
extended (the run folder says the new count only once training has set up).
gui.runs.runs_view renders it; tests drive it directly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from gui.runs.run_records import can_resume, has_model, number

Run = dict[str, Any]  # a run folder's summary (core.files.run_folder.list_runs)


@dataclass(frozen=True)
class ActionState:
    enabled: bool
    tooltip: str


RESUME_TIP = "Continue training from the run's last checkpoint"


class RunsPageModel:
    def __init__(self) -> None:
        self.workspace = ""
        self.runs: list[Run] = []
        self.selected: list[Run] = []  # in table order, the current (last clicked) one first
        # run folder -> the total epochs a resume asked for, until the folder says so itself
        self._extending: dict[str, int] = {}

    # -- listing ----------------------------------------------------------------------------

    def set_runs(self, runs: list[Run]) -> list[Run]:
        """The runs as listed on disk, with the epoch count of a run being extended already
        raised to its new total; returns what the table shows."""
        shown = []
        for run in runs:
            wanted = self._extending.get(os.path.abspath(run.get("run_dir", "")))
            recorded = number(run.get("epochs")) or 0
            if wanted is not None and recorded >= wanted:
                self._extending.pop(os.path.abspath(run["run_dir"]), None)  # the folder caught up
            elif wanted is not None:
                run = {**run, "epochs": wanted}
            shown.append(run)
        self.runs = shown
        return shown

    def extending(self, run_dir: str, epochs: int) -> None:
        """A resume until `epochs` epochs in total was asked for."""
        self._extending[os.path.abspath(run_dir)] = int(epochs)
        self.set_runs([dict(r) for r in self.runs])

    def empty_text(self, workspace_exists: bool) -> str:
        if not self.workspace:
            return "Choose a workspace folder to see its training runs."
        if not workspace_exists:
            return f"{self.workspace} does not exist yet: runs will appear here once trained."
        if not self.runs:
            return "No runs here yet. Train a model on the Train page; its run appears here."
        return ""

    # -- actions ----------------------------------------------------------------------------

    def _one(self) -> Run | None:
        return self.selected[0] if len(self.selected) == 1 else None

    def resume_state(self) -> ActionState:
        one = self._one()
        if one is None:
            return ActionState(False, "Select one run to continue it")
        if can_resume(one):
            return ActionState(True, RESUME_TIP)
        if one.get("status") == "running":
            return ActionState(False, "This run is still training.")
        return ActionState(False, "This run has no checkpoint (last.ckpt) to continue from.")

    def classify_state(self) -> ActionState:
        one = self._one()
        if one is None:
            return ActionState(False, "Select one run to classify images with its model")
        if not has_model(one):
            return ActionState(False, "This run has no model file yet.")
        return ActionState(True, "Classify a folder of images with this run's best model")

    def open_state(self) -> ActionState:
        return ActionState(self._one() is not None, "Show the run folder in the file manager")

    def delete_state(self) -> ActionState:
        if not self.selected:
            return ActionState(False, "Select the runs to delete")
        if any(r.get("status") == "running" for r in self.selected):
            return ActionState(False, "A run that is training cannot be deleted.")
        return ActionState(True, "Move the selected runs to the trash")

    def resume_epochs(self, run: Run) -> tuple[int, int]:
        """(epochs done, the suggested new total) for the Resume / extend dialog: the planned
        total when the run stopped early, else half as many again (at least 5 more)."""
        done = int(number(run.get("epochs_completed")) or 0)
        total = int(number(run.get("epochs")) or 0)
        return done, total if total > done else done + max(5, done // 2)

    @staticmethod
    def gone_unlabelled(run: Run) -> str:
        """The unlabelled folder `run` learnt from when it has gone since ("" otherwise): a
        resume must then be told another folder, or to go on without."""
        from core.errors import LoupeError
        from core.train.config import resume_config
        from core.train.resume_rules import gone_unlabelled_folder

        try:
            return gone_unlabelled_folder(resume_config(run["run_dir"]))
        except (LoupeError, OSError, KeyError):
            return ""  # an unreadable config: the resume itself will say why

    def deletable(self) -> list[Run]:
        return [r for r in self.selected if r.get("status") != "running"]

    @staticmethod
    def delete_question(runs: list[Run]) -> str:
        names = "\n".join(os.path.basename(r["run_dir"]) for r in runs[:10])
        more = f"\n… and {len(runs) - 10:,} more" if len(runs) > 10 else ""
        what = "this run" if len(runs) == 1 else f"these {len(runs):,} runs"
        return f"Move {what} to the trash?\n\n{names}{more}"
