"""What the Runs page asks before a run is resumed: until how many epochs in total, and,
when the unlabelled images the run learnt from have gone since, another folder or none
(the command line's `--unlabelled NEWDIR` / `--unlabelled ''`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from gui.runs.runs_page_model import Run, RunsPageModel


@dataclass(frozen=True)
class ResumeChoice:
    epochs: int  # in total
    unlabelled: str | None = None  # None: the run's own folder; "": go on without; else a folder


def ask_resume(parent: QWidget, page: RunsPageModel, run: Run) -> ResumeChoice | None:
    """The choices for resuming `run`, or None when the user cancels."""
    done, default = page.resume_epochs(run)
    epochs, ok = QInputDialog.getInt(
        parent,
        "Resume / extend run",
        f"{os.path.basename(run['run_dir'])} has trained {done} epochs.\n"
        "Train until this many epochs in total:",
        default,
        done + 1,
        100000,
    )
    if not ok:
        return None
    gone = page.gone_unlabelled(run)
    if not gone:
        return ResumeChoice(int(epochs))
    unlabelled = ask_unlabelled_instead(parent, gone)
    return None if unlabelled is None else ResumeChoice(int(epochs), unlabelled)


def ask_unlabelled_instead(parent: QWidget, gone: str) -> str | None:
    """Another unlabelled folder, "" to go on without, or None (cancel)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Resume / extend run")
    box.setText(f"This run learnt from unlabelled images in {gone}, which is gone.")
    box.setInformativeText(
        "Choose the folder where they are now, or go on learning from the labelled images only."
    )
    choose = box.addButton("Choose folder…", QMessageBox.ButtonRole.AcceptRole)
    without = box.addButton("Go on without them", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(choose)
    box.exec()
    if box.clickedButton() is without:
        return ""
    if box.clickedButton() is not choose:
        return None
    folder = QFileDialog.getExistingDirectory(
        parent, "Unlabelled images", os.path.dirname(gone.rstrip(os.sep))
    )
    return folder or None
