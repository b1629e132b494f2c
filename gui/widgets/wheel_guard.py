"""Scrolling a settings panel with the mouse wheel must scroll it, not change whichever combo
box or spin box happens to pass under the pointer (the Device choice flipped from Auto to CPU
that way). A control takes the wheel only once it has the focus (clicked or tabbed into)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        unfocused = isinstance(watched, QWidget) and not watched.hasFocus()
        if event.type() == QEvent.Type.Wheel and unfocused:
            # Handled here but not accepted: Qt passes it on to the parents (the scroll area).
            event.ignore()
            return True
        return False


def wheel_only_when_focused(root: QWidget) -> None:
    """Every combo box and spin box under `root` ignores the wheel until it has the focus."""
    guard = _WheelGuard(root)
    for control in root.findChildren(QComboBox) + root.findChildren(QAbstractSpinBox):
        control.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel no longer gives focus
        control.installEventFilter(guard)
