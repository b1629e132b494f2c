"""A run started from the window is a training process of its own: when that process dies
(the system ends it for lack of memory, a crash in a library), the run ends as failed with
the process's last words, never silently, and the window can train again."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import os
import signal

import pytest

from tests.gui.helpers import make_window, processes_mentioning, shapes_dataset, tiny_config

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads processes from /proc")


def test_a_training_process_that_dies_ends_the_run_as_failed_saying_why(
    qtbot, tmp_path, shapes_dataset
):
    window = make_window(qtbot, tmp_path)
    page, dash = window.train_page, window.train_page.dashboard
    run_dir = tmp_path / "workspace" / "killed-run"
    page.start_training(tiny_config(shapes_dataset, run_dir, epochs=500))
    qtbot.waitUntil(lambda: dash.progress.last_step is not None, timeout=60_000)
    (pid,) = processes_mentioning(f"--out {run_dir}")
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)  # what the system does when memory runs out

    qtbot.waitUntil(lambda: not page.is_running(), timeout=30_000)
    status = dash.status_label.text()
    assert status.startswith("failed"), status
    reason = dash.status_label.toolTip()
    assert "training process ended (exit code -9)" in reason, reason
    assert "\n" not in reason  # one sentence: its last line, not the whole log
    assert "exit code -9" in dash.log.toPlainText()
    assert dash.train_button.isEnabled() and processes_mentioning(f"--out {run_dir}") == []
