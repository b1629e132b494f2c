"""The Runs page fixture."""

from __future__ import annotations

import pytest

from gui.runs.runs_view import RunsView


@pytest.fixture
def view(qtbot) -> RunsView:
    widget = RunsView()
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    return widget
