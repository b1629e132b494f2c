"""Window-level promises: automation names are unique, failures are reported, the banner and
the Train button follow the state, a resumed run shows its history."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

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
