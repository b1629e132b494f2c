"""What a screen reader (Orca, NVDA, VoiceOver: they read Qt's accessibility API) and a
keyboard-only user need from a control whose visible text does not say what it is: an
image grid, a plot, a progress bar, a field whose label sits beside it in a layout, a "…"
button. One place, so the pages name their controls the same way.

- `describe(widget, name, description)`: the accessible name, what the reader says for the
  control ("Training progress, progress bar, 40 %"), and a longer description; without one
  Qt reads the tooltip.
- `label_for(label, control)`: a visible label names the control (QLabel.setBuddy), also
  where a QFormLayout could not link them (a row whose field is a layout or a composite
  widget: Qt tells a screen reader about a label only when it is the control's sibling, so
  then the label's words become the control's accessible name).
- `keep_out_of_tab_chain(widget)`: a plot takes no keyboard action: Tab passes it by; a
  click still focuses it.
- `ItemViewKeys(view)`: in a tile grid or list, Space opens the current item as Return and
  a double-click do (`activated`), and Shift+F10 or the Menu key opens the context menu at
  the current item rather than in the middle of the view.
- `enter_clicks_buttons(root)`: Return presses the focused button, as Space does (Qt does
  that only in dialogs)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QLabel,
    QLayout,
    QPushButton,
    QToolButton,
    QWidget,
)


def describe(widget: QWidget, name: str, description: str = "") -> QWidget:
    """`name` (short: what the control is, not how to use it) and, when given,
    `description` (a sentence, like a tooltip's) for assistive technology."""
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
    return widget


def label_for(label: QLabel | None, control: QWidget) -> None:
    """`label` (None: nothing to link) names `control`: the reader says the label's text,
    and a mnemonic in it ("&Folder") focuses the control."""
    if label is None:
        return
    label.setBuddy(control)
    if label.parentWidget() is not control.parentWidget():
        words = label.text().replace("&", "").strip().rstrip(":")
        # A combo box's name is its value on Linux: there the words come as its description.
        combo = isinstance(control, QComboBox) and not control.accessibleDescription()
        describe(control, words, words if combo else "")


def form_label_for(form: QFormLayout, field: QWidget | QLayout, control: QWidget) -> None:
    """The label of `form`'s row whose field is `field` (a layout or a composite widget)
    names `control`, the input inside it: QFormLayout links a label only to a plain widget."""
    label = form.labelForField(field)
    label_for(label if isinstance(label, QLabel) else None, control)


def keep_out_of_tab_chain(widget: QWidget) -> None:
    widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)


_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class _EnterClicksToolButton(QObject):
    """Return on a focused tool button does what Space does: click it, or open its menu."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if not (
            isinstance(watched, QToolButton)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in _ENTER_KEYS
            and event.modifiers()
            in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        ):
            return False
        instant = watched.popupMode() == QToolButton.ToolButtonPopupMode.InstantPopup
        if instant and watched.menu() is not None:
            watched.showMenu()
        else:
            watched.click()
        return True


def enter_clicks_buttons(root: QWidget) -> None:
    """Every button under `root` (made so far) clicks on Return or Enter while it has the
    focus, as on Space: push buttons become auto-default (which outside a dialog changes
    nothing else), tool buttons (Recent ▾, the settings' sections) get a filter."""
    for button in root.findChildren(QPushButton):
        button.setAutoDefault(True)
    enter = _EnterClicksToolButton(root)
    for tool in root.findChildren(QToolButton):
        if tool.focusPolicy() & Qt.FocusPolicy.TabFocus:
            tool.installEventFilter(enter)


_MENU_KEYS = ((Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier), (Qt.Key.Key_Menu, None))


class ItemViewKeys(QObject):
    """Space activates the current item (unless `space_activates` is False: a list whose
    items open nothing keeps Space for selecting); Shift+F10 or Menu opens the context menu
    there (views whose menu is a customContextMenuRequested handler in viewport coordinates)."""

    def __init__(self, view: QAbstractItemView, space_activates: bool = True) -> None:
        super().__init__(view)
        self.view = view
        self.space_activates = space_activates
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # getattr: while the view is being destroyed, this may be asked after its attributes
        if watched is not getattr(self, "view", None) or event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        key, modifiers = event.key(), event.modifiers()
        plain = modifiers == Qt.KeyboardModifier.NoModifier
        if key == Qt.Key.Key_Space and plain and self.space_activates:
            return self._activate_current()
        for menu_key, modifier in _MENU_KEYS:
            if key == menu_key and (modifier is None or modifiers == modifier):
                return self._open_context_menu()
        return False

    def _activate_current(self) -> bool:
        index = self.view.currentIndex()
        if not index.isValid():
            return False  # nothing to open: the view's own Space (select) applies
        self.view.activated.emit(index)
        return True

    def _open_context_menu(self) -> bool:
        view = self.view
        if view.contextMenuPolicy() != Qt.ContextMenuPolicy.CustomContextMenu:
            return False
        rect = view.visualRect(view.currentIndex())
        area = view.viewport().rect()
        point = rect.center() if rect.isValid() and area.intersects(rect) else area.center()
        view.customContextMenuRequested.emit(point)
        return True
