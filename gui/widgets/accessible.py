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
  then the label's words become the control's accessible name)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLayout, QWidget


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
