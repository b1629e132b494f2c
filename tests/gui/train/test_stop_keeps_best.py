"""Stop from the window in the middle of a later epoch: the run folder keeps the best epoch's
model (what the Runs page and Classify then use), not the weights of the moment of the click."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import json
from pathlib import Path

import torch
from PySide6.QtCore import Qt
from safetensors.torch import load_file

from core.control import RunControl
from core.train.loop import fit
from tests.core.run_checks import assert_same_tensors, metric_rows
from tests.gui.helpers import make_window, shapes_dataset, tiny_config

PAUSE_AT_STEP = 2 * 4 + 2  # 4 steps per epoch: the third step of epoch 3


class PausesAtStep:
    """The job's control as the engine sees it: it pauses the run as the loop reaches step
    PAUSE_AT_STEP (as if Pause were clicked exactly then), so the Stop click lands inside
    that epoch, not at its end. Stop and resume still come from the window's control."""

    def __init__(self, control: RunControl) -> None:
        self.control = control
        self.calls = 0

    def checkpoint(self) -> bool:
        if self.calls == PAUSE_AT_STEP:
            self.control.pause()
        self.calls += 1
        return self.control.checkpoint()

    @property
    def stop_requested(self) -> bool:
        return self.control.stop_requested

    @property
    def paused_seconds(self) -> float:
        return self.control.paused_seconds


def fit_pausing_in_epoch_3(config, control):
    return fit(config, PausesAtStep(control))


def test_stop_button_inside_epoch_3_keeps_the_best_epochs_model(qtbot, tmp_path, shapes_dataset):
    window = make_window(qtbot, tmp_path)
    page = window.train_page
    run = tmp_path / "workspace" / "run"
    page.start_training(tiny_config(shapes_dataset, run, epochs=6), fit=fit_pausing_in_epoch_3)
    qtbot.waitUntil(lambda: page.runner.control.paused, timeout=60_000)
    best_before_stop = load_file(run / "model.safetensors")

    qtbot.mouseClick(page.dashboard.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.runner.is_running(), timeout=30_000)

    status = page.dashboard.status_label.text()
    assert status.startswith("stopped") and "kept the best model" in status, status
    summary = json.loads((run / "run.json").read_text())
    assert summary["status"] == "stopped" and summary["epochs_completed"] == 2
    rows = metric_rows(run)
    best_row = max(rows, key=lambda r: float(r["val_acc"]))  # the first of equals, as the run
    best = json.loads((run / "model.json").read_text())["best"]
    assert best["epoch"] == int(best_row["epoch"]) == summary["best_epoch"]
    assert best["val_acc"] == float(best_row["val_acc"])

    saved = load_file(run / "model.safetensors")
    assert_same_tensors(saved, best_before_stop)
    current = torch.load(run / "last.ckpt", weights_only=True)["model"]
    assert any(not torch.equal(saved[k], current[k]) for k in saved if k in current)
