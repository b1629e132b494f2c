"""Fixtures of the Train page's tests: the settings panel, bare and with torch's lists."""

from __future__ import annotations

import pytest

from gui.train.model_settings import ModelSettingsPanel
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
