"""Building blocks of the settings panel: spin boxes that suit learning rates, a collapsible
section, and `Binding`s that read and write one config value through one control.

Tooltips, accessible names and ranges come from the settings' metadata in core.train.config,
written once for the window, the CLI and the validation."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.train.config import TrainConfig
from core.train.settings import find_setting, setting_fields
from gui.widgets.accessible import describe

# Every setting's tooltip is its help text in core.train.config (also the CLI's --help).
TOOLTIPS: dict[str, str] = {
    "preset": "A ready-made recipe: choosing one sets every setting below to it (only the "
    "device, the validation share, the seed, the memory cache and the unlabelled images stay). "
    "Changing any of them switches to Custom.",
    **{item.key: item.setting.help for item in setting_fields(TrainConfig)},
}
# ... and its label (the form's text beside it) is what a screen reader calls the control.
LABELS: dict[str, str] = {
    "preset": "Preset",
    **{item.key: item.setting.label for item in setting_fields(TrainConfig)},
}


def spin_range(key: str, scale: float = 1.0) -> tuple[float, float]:
    """The setting's allowed range from core.train.config, widened down to its auto/off
    value (shown as the spin box's special text); `scale` as float_spin's."""
    s = find_setting(TrainConfig, key).setting
    low, high = float(s.minimum), float(s.maximum)
    if isinstance(s.auto, int | float) and s.auto < low:
        low = float(s.auto)
    return low * scale, high * scale


def _auto_text(key: str) -> str:
    """The word a spin box shows at the setting's auto/off value ("" when it has none)."""
    s = find_setting(TrainConfig, key).setting
    return s.auto_word if isinstance(s.auto, int | float) and s.auto < s.minimum else ""


@dataclass
class Binding:
    """One config value behind one control."""

    widget: QWidget
    get: Callable[[], Any]
    set: Callable[[Any], None]
    changed: Any  # the control's change signal


def path_field(edit: QLineEdit, browse: QToolButton) -> tuple[Binding, QHBoxLayout]:
    """An optional path typed in `edit` or chosen with `browse` beside it: None when empty."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(browse)
    binding = Binding(
        edit,
        lambda: edit.text().strip() or None,
        lambda v: edit.setText(str(v) if v else ""),
        edit.textChanged,
    )
    return binding, row


def as_bool(value: Any) -> bool:
    # QSettings' ini backend hands back "true"/"false" strings.
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class ScientificSpinBox(QDoubleSpinBox):
    """For values spanning decades (learning rate, weight decay): shows 0.0003 or 1e-05,
    and the arrows step along 1, 2, 5, 10, 20, ... instead of by a fixed amount."""

    LADDER = [m * 10.0**e for e in range(-7, 2) for m in (1, 2, 5)]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(10)  # the spin box rounds values to `decimals`

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.replace(",", ".").strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        if text == self.specialValueText():
            return QValidator.State.Acceptable, text, pos
        try:
            value = float(text.replace(",", ".").strip())
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = math.isfinite(value) and self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:
        value = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                value = next((v for v in self.LADDER if v > value * (1 + 1e-9)), value)
            else:
                lower = [v for v in self.LADDER if v < value * (1 - 1e-9)]
                value = lower[-1] if lower else self.minimum()
        self.setValue(min(max(value, self.minimum()), self.maximum()))


class CollapsibleSection(QWidget):
    """A header button with an arrow that shows or hides a form underneath."""

    toggled = Signal(bool)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QToolButton()
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setArrowType(Qt.ArrowType.RightArrow)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.setProperty("role", "section")  # style.qss: a flat, bold heading
        self.button.toggled.connect(self.set_expanded)
        self.body = QWidget()
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(14, 0, 0, 4)
        self.body.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.button)
        layout.addWidget(self.body)

    def set_expanded(self, expanded: bool) -> None:
        if self.button.isChecked() != expanded:
            self.button.setChecked(expanded)  # re-enters through toggled
            return
        self.button.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)
        self.toggled.emit(expanded)

    def is_expanded(self) -> bool:
        return self.button.isChecked()


# ---- control factories: each returns a Binding whose widget carries its tooltip ---------------


SpinBox = TypeVar("SpinBox", QSpinBox, QDoubleSpinBox)


def _set_up_spin(
    spin: SpinBox,
    key: str,
    name: str,
    step: float | None = None,
    special: str = "",
    suffix: str = "",
    scale: float = 1.0,
) -> SpinBox:
    """What every spin box of the panel shares: name, range (the setting's), step, texts,
    tooltip."""
    spin.setObjectName(name)
    minimum, maximum = spin_range(key, scale)
    if isinstance(spin, QSpinBox):
        spin.setRange(int(minimum), int(maximum))
    else:
        spin.setRange(minimum, maximum)
    if step is not None:
        spin.setSingleStep(step)
    # Shown at the minimum, e.g. "auto" for 0; from the setting's own auto word unless given.
    spin.setSpecialValueText(special or _auto_text(key))
    spin.setSuffix(suffix)
    spin.setToolTip(TOOLTIPS.get(key, ""))
    describe(spin, LABELS.get(key, ""))
    return spin


def int_spin(key: str, name: str, step: int = 1, special: str = "", suffix: str = "") -> Binding:
    spin = _set_up_spin(QSpinBox(), key, name, step, special, suffix)
    spin.setAccelerated(True)
    return Binding(spin, spin.value, lambda v: spin.setValue(int(float(v))), spin.valueChanged)


def float_spin(
    key: str, name: str, step: float, decimals: int = 2, suffix: str = "", scale: float = 1.0
) -> Binding:
    """scale: shown value = stored value * scale (e.g. 100 to show a fraction in %)."""
    spin = QDoubleSpinBox()
    spin.setDecimals(decimals)  # before the range, which is rounded to it
    _set_up_spin(spin, key, name, step, suffix=suffix, scale=scale)
    return Binding(
        spin,
        lambda: round(spin.value() / scale, decimals + 4),
        lambda v: spin.setValue(float(v) * scale),
        spin.valueChanged,
    )


def scientific_spin(key: str, name: str, special: str = "") -> Binding:
    spin = _set_up_spin(ScientificSpinBox(), key, name, special=special)
    return Binding(spin, spin.value, lambda v: spin.setValue(float(v)), spin.valueChanged)


def combo(key: str, name: str, items: Sequence[tuple[str, str]]) -> Binding:
    """items: (shown text, stored value)."""
    box = QComboBox()
    box.setObjectName(name)
    for text, value in items:
        box.addItem(text, value)
    box.setToolTip(TOOLTIPS.get(key, ""))
    describe(box, LABELS.get(key, ""))  # else the reader names a combo box by its value

    def set_value(value: Any) -> None:
        index = box.findData(str(value))
        if index >= 0:
            box.setCurrentIndex(index)

    return Binding(box, box.currentData, set_value, box.currentIndexChanged)


def check(key: str, name: str, text: str) -> Binding:
    box = QCheckBox(text)
    box.setObjectName(name)
    box.setToolTip(TOOLTIPS.get(key, ""))
    return Binding(box, box.isChecked, lambda v: box.setChecked(as_bool(v)), box.toggled)


_PRECISION_STATES = {
    "auto": Qt.CheckState.PartiallyChecked,
    "on": Qt.CheckState.Checked,
    "off": Qt.CheckState.Unchecked,
}
_PRECISION_TEXT = {
    "auto": "Mixed precision: auto (on for GPUs)",
    "on": "Mixed precision: on",
    "off": "Mixed precision: off",
}


def precision_check(key: str, name: str) -> Binding:
    """auto / on / off as a tri-state check box whose text names the state."""
    box = QCheckBox()
    box.setObjectName(name)
    box.setTristate(True)
    box.setToolTip(TOOLTIPS.get(key, "") + " Click to cycle auto / on / off.")

    def get() -> str:
        state = box.checkState()
        return next((k for k, s in _PRECISION_STATES.items() if s == state), "auto")

    def set_value(value: Any) -> None:
        box.setCheckState(_PRECISION_STATES.get(str(value), Qt.CheckState.PartiallyChecked))

    box.checkStateChanged.connect(lambda _state: box.setText(_PRECISION_TEXT[get()]))
    set_value("auto")
    box.setText(_PRECISION_TEXT["auto"])
    return Binding(box, get, set_value, box.checkStateChanged)
