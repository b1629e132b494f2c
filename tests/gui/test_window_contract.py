"""Window-level promises: automation names are unique, failures are reported, the banner and
the Train button follow the state, a resumed run shows its history."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject

from tests.gui.helpers import make_window, shapes_dataset, tiny_config, trained_run_dir

CONTRACT_NAMES = [
    "datasetPathEdit",
    "archCombo",
    "epochsSpin",
    "batchSizeSpin",
    "learningRateSpin",
    "imageSizeSpin",
    "optimizerCombo",
    "deviceCombo",
    "trainButton",
    "pauseButton",
    "stopButton",
    "lossPlot",
    "accuracyPlot",
    "predictionGrid",
    "confusionMatrix",
    "runsList",
    "statusLabel",
    "classifyModelCombo",
    "classifyFolderEdit",
    "classifyButton",
    "cancelClassifyButton",
    "resultsView",
    "classFilterCombo",
    "exportCsvButton",
    "sortButton",
    "undoSortButton",
]


def test_every_contract_name_is_found_exactly_once(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    counts = {name: len(window.findChildren(QObject, name)) for name in CONTRACT_NAMES}
    assert {n: c for n, c in counts.items() if c != 1} == {}
    # The Runs page's copies have their own names.
    for name in ("runLossPlot", "runAccuracyPlot", "runLrPlot", "runConfusionMatrix"):
        assert window.runs_view.findChild(QObject, name) is not None, name
    assert window.runs_view.findChild(QObject, "classifyWithRunButton") is not None
    # findChild finds the dashboard's plots and the Classify page's button.
    assert window.findChild(QObject, "lossPlot") is window.dashboard.plots.loss_plot
    assert window.findChild(QObject, "classifyButton") is window.classify_view.classify_button


def test_a_run_that_fails_at_once_is_reported(qtbot, tmp_path, monkeypatch):
    """The worker's signals are connected before its thread starts: even when the GUI thread
    is slow right after start(), the failure reaches the status label."""
    window = make_window(qtbot, tmp_path)
    start = window.runner.start

    def slow_start(*args, **kwargs):
        worker = start(*args, **kwargs)
        time.sleep(0.3)  # the run fails meanwhile
        return worker

    monkeypatch.setattr(window.runner, "start", slow_start)

    def failing_fit(config, control):
        raise RuntimeError("broken at once")
        yield  # a generator, like core.training.fit

    window.start_training(tiny_config(tmp_path, tmp_path / "workspace" / "run"), fit=failing_fit)
    qtbot.waitSignal(window.runner.ended, timeout=10_000).wait()
    qtbot.waitUntil(lambda: "failed" in window.dashboard.status_label.text(), timeout=5000)
    assert "broken at once" in window.dashboard.log.toPlainText()
