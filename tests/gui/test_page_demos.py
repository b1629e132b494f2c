"""The page demos (`python -m gui.widgets.<page>`) build and draw without torch."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from gui.demo import page_demos


@pytest.mark.parametrize(
    "build",
    [
        page_demos.scrolled_model_settings_demo,
        page_demos.training_dashboard_demo,
        page_demos.dataset_view_demo,
        lambda: page_demos.classify_view_demo([]),
    ],
    ids=["model_settings", "training_dashboard", "dataset_view", "classify_view"],
)
def test_page_demo_builds_and_renders(qtbot, build, tmp_path):
    widget = build()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.wait(50)
    image: QImage = widget.grab().toImage()
    assert image.width() > 300 and image.height() > 300
    if hasattr(widget, "shutdown"):
        widget.shutdown()
