"""A model that only guesses (run.json's "verdict", core.train.verdict) is not offered for
classification silently: the Runs list marks it, and classifying with it asks first."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

GUESSING_MARK = "guessing"
GUESSING_COLOR = "#B45309"


def verdict_of(summary: dict[str, Any]) -> str:
    verdict = summary.get("verdict")
    return verdict if isinstance(verdict, str) else ""


def confirm_classify_with(parent: QWidget, summary: dict[str, Any]) -> bool:
    """True when the run's model learned, or the user wants to use a guessing one anyway."""
    verdict = verdict_of(summary)
    if not verdict:
        return True
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "This model is guessing",
        verdict,
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName("guessingModelWarning")
    use = box.addButton("Classify anyway", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is use
