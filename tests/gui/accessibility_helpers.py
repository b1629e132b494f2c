"""What a screen reader and a keyboard user get from a window, for the accessibility tests.

control_name(widget)          the name a screen reader says for it ('' when none)
unnamed_controls(root)        the controls under root that a reader could not name
tab_stops(window, start, n)   the widgets Tab visits from `start`, in order"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QProgressBar,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

# Controls whose purpose a reader must be able to say; plots are QGraphicsViews.
CONTROLS = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QGraphicsView,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QTextEdit,
)
# Qt's own parts of a control (a spin box's line edit, a combo box's popup list, a header):
# the control they belong to carries the name.
INNER_PARTS_OF = (QAbstractSpinBox, QComboBox, QHeaderView, QLineEdit, QMenuBar, QTabBar)


def _buddy_text(widget: QWidget) -> str:
    """The text of a label linked to `widget` where Qt tells screen readers about it: among
    its siblings (QAccessibleWidget looks no further)."""
    parent = widget.parentWidget()
    labels = parent.findChildren(QLabel, options=Qt.FindChildOption.FindDirectChildrenOnly)
    return next((label.text() for label in labels if label.buddy() is widget), "")


def control_name(widget: QWidget) -> str:
    """The accessible name, or the text of a sibling label linked to the widget
    (QLabel.setBuddy), or what Qt's accessibility interface reports (a button's text). A
    combo box's interface reports its current value, which is not a name: it needs one of
    the first two."""
    if widget.accessibleName().strip():
        return widget.accessibleName()
    buddy = _buddy_text(widget)
    if buddy.strip() or isinstance(widget, QComboBox):
        return buddy
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name) if interface is not None else ""


def _is_inner_part(widget: QWidget) -> bool:
    if widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, INNER_PARTS_OF):
            return True
        parent = parent.parentWidget()
    return False


def _says_something(text: str) -> bool:
    """ "…" or "▾" alone is read as "ellipsis" or nothing: a name has a letter or digit."""
    return any(c.isalnum() for c in text)


def unnamed_controls(root: QWidget) -> list[str]:
    """Every control under `root` (shown or not yet) that a screen reader could not name:
    'Class#objectName' of each."""
    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        focusable = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        if not (isinstance(widget, CONTROLS) or focusable):
            continue
        if isinstance(widget, QScrollBar | QHeaderView) or _is_inner_part(widget):
            continue
        if widget.focusProxy() is not None:  # the proxy (a tab widget's tab bar) is named
            continue
        if not _says_something(control_name(widget)):
            found.append(f"{type(widget).__name__}#{widget.objectName()}")
    return found


def tab_stops(window: QWidget, start: QWidget, limit: int = 80) -> list[QWidget]:
    """The widgets that take the focus when Tab is pressed from `start` (first), until the
    focus comes back to `start` or `limit` presses."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    stops = [window.focusWidget()]
    for _ in range(limit):
        QTest.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        QApplication.processEvents()
        current = window.focusWidget()
        if current is stops[0]:
            break
        stops.append(current)
    return stops


def names_of(widgets: list[QWidget]) -> list[str]:
    return [w.objectName() or type(w).__name__ for w in widgets]
