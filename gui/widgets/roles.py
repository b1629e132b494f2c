"""Looks by role, not by inline style: resources/style.qss styles QLabel[role="error"],
QLabel[role="muted"], QPushButton[danger="true"] and the like; a widget only says which
role it plays. A role that changes while the widget is shown needs a re-polish."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def set_role(widget: QWidget, role: str, name: str = "role") -> None:
    """Give `widget` the role `role` ('' for none) and restyle it at once."""
    if widget.property(name) == (role or None):
        return
    widget.setProperty(name, role or None)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()
