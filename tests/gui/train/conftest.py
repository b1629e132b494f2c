"""Fixtures of the Train page's tests: the settings panel, bare and with torch's lists."""

from __future__ import annotations

import pytest

from gui.train.model_settings import ModelSettingsPanel
from gui.train.training_dashboard import TrainingDashboard
from tests.gui.train.settings_panel import ARCHITECTURES, Device


@pytest.fixture
def panel(qtbot):
    widget = ModelSettingsPanel()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def loaded(panel):
    panel.set_architectures(ARCHITECTURES)
    panel.set_devices([Device("auto", "Auto (CPU)"), Device("cpu", "CPU (2 cores)")])
    return panel


@pytest.fixture
def dashboard_1280(qtbot) -> TrainingDashboard:
    """The dashboard at its share of a 1280 px window (beside the navigation and the
    settings), shown, a run started."""
    dash = TrainingDashboard()
    qtbot.addWidget(dash)
    dash.resize(1280 - 124 - 380, 600)
    dash.show()
    qtbot.waitExposed(dash)
    dash.start_run()
    return dash
