"""What the Data page shows before any dataset: how to open one, and "Try a sample dataset",
which writes the built-in demo photos (no internet) and opens them, so a new user's first
minute trains something."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class DataEmptyState(QWidget):
    """The hint keeps objectName "datasetEmptyHint"; the button is "trySampleButton"."""

    sampleRequested = Signal()

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint = QLabel(hint, objectName="datasetEmptyHint", wordWrap=True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.try_button = QPushButton("Try a sample dataset", objectName="trySampleButton")
        self.try_button.setToolTip(
            "Write a small set of photo-like pictures (5 classes, no internet needed) and open "
            "it here"
        )
        self.try_button.clicked.connect(self.sampleRequested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 20, 40, 60)
        layout.addStretch(1)
        layout.addWidget(self.hint)
        layout.addSpacing(12)
        layout.addWidget(self.try_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
