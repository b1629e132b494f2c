"""Building blocks of the settings panel: spin boxes that suit learning rates, a collapsible
section, and `Binding`s that read and write one config value through one control.

The plain-words tooltip of every hyperparameter lives here too, next to its range."""

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
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

TOOLTIPS: dict[str, str] = {
    "preset": "Start from a ready-made set of values. Changing any value below switches to Custom.",
    "arch": "The network to train. 'auto' picks a small CNN for small images and a pretrained "
    "model for photos.",
    "pretrained": "Start from a model already trained on ImageNet's 1.2 million photos. It learns "
    "your classes much faster and usually ends up more accurate.",
    "freeze_backbone": "Train only the last layer and keep the pretrained features as they are. "
    "Very fast and good for tiny datasets, but usually less accurate than training everything.",
    "weights_file": "Start from weights saved in a file (.pth, .pt or .safetensors) instead of "
    "ImageNet's, e.g. a model downloaded earlier or trained by a colleague.",
    "epochs": "How many times the model sees every training image. More epochs: better fit, "
    "longer training; early stopping can end the run sooner.",
    "batch_size": "Images processed together in one step. Larger batches are faster on a GPU but "
    "need more memory; lower it if you run out of memory.",
    "lr": "Learning rate: how big each correction step is. 'auto' picks a good value for the "
    "optimizer and batch size. Too high: the loss jumps around; too low: learning crawls.",
    "image_size": "Images are resized to this many pixels (square) before training. Bigger shows "
    "more detail but is slower. 'auto' chooses from your images and the device.",
    "device": "Where training runs. A GPU is often 10-50x faster than the CPU.",
    "mixed_precision": "Compute in 16-bit where it is safe: faster and lighter on modern GPUs. "
    "Auto turns it on for GPUs and off on the CPU. Click to cycle auto / on / off.",
    "class_balanced": "Count mistakes on rare classes more, so the model does not simply favour "
    "the classes with the most images.",
    "optimizer": "The rule that updates the model. AdamW is a safe default; SGD with momentum "
    "can be slightly better with a long schedule.",
    "momentum": "How much of the previous step carries over (SGD and RMSprop only). 0.9 is usual.",
    "weight_decay": "Gently pulls weights towards zero to reduce overfitting. 0.0005 is usual; "
    "0 turns it off.",
    "schedule": "How the learning rate changes during training. Cosine: warm up, then slowly "
    "decrease (recommended). One-cycle: rise then fall. Step: drop at fixed epochs. "
    "Constant: never change.",
    "warmup_epochs": "Epochs at the start during which the learning rate rises gently from "
    "almost zero (cosine schedule), which avoids a bad start.",
    "step_size": "Step schedule: epochs between two learning-rate drops.",
    "step_gamma": "Step schedule: the learning rate is multiplied by this at each drop "
    "(0.1 = divided by ten).",
    "val_split": "Share of each class held back to measure accuracy on images the model never "
    "trained on. Not used when the folder already has a val folder.",
    "augment.hflip": "Randomly mirror images left-right. Right for most photos; wrong when "
    "direction matters (text, arrows).",
    "augment.vflip": "Randomly turn images upside down. Only for pictures without an up, such as "
    "microscope slides or satellite images.",
    "augment.random_resized_crop": "Train on random zoomed-in parts of each image, so the model "
    "does not depend on exact position and scale.",
    "augment.crop_scale_min": "Random crops keep at least this share of the image area.",
    "augment.rotation_degrees": "Randomly rotate images by up to this many degrees either way.",
    "augment.color_jitter": "Randomly change brightness, contrast and saturation (0 = off, "
    "1 = strong). Helps when lighting varies.",
    "augment.trivial_augment": "Apply one random strong change per image (TrivialAugment). "
    "Often more accurate for long runs; slower, because it runs on the CPU.",
    "label_smoothing": "Teach the model not to be 100 % sure. 0.1 often improves accuracy a "
    "little and makes confidence scores more honest.",
    "loss": "What the model minimises. Cross-entropy is standard; focal loss concentrates on "
    "hard examples, which can help with imbalanced classes.",
    "focal_gamma": "Focal loss: how strongly easy examples are ignored (2 is usual).",
    "early_stopping_patience": "Stop when validation accuracy has not improved for this many "
    "epochs, and keep the best model. 'off' always runs every epoch.",
    "seed": "Starting point of all randomness. The same seed and settings give the same "
    "validation split and very similar results.",
    "cache_memory_mb": "Memory Loupe may use to keep decoded images, so each file is read only "
    "once. Larger datasets are read from disk each epoch (slower).",
}


@dataclass
class Binding:
    """One config value behind one control."""

    widget: QWidget
    get: Callable[[], Any]
    set: Callable[[Any], None]
    changed: Any  # the control's change signal


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
        self.button.setStyleSheet(
            "QToolButton { border: none; background: transparent; font-weight: 600;"
            " text-align: left; padding: 4px 2px; }"
        )
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
    minimum: float,
    maximum: float,
    step: float | None = None,
    special: str = "",
    suffix: str = "",
) -> SpinBox:
    """What every spin box of the panel shares: name, range, step, texts, tooltip."""
    spin.setObjectName(name)
    spin.setRange(minimum, maximum)
    if step is not None:
        spin.setSingleStep(step)
    spin.setSpecialValueText(special)  # shown at the minimum, e.g. "auto" for 0
    spin.setSuffix(suffix)
    spin.setToolTip(TOOLTIPS.get(key, ""))
    return spin


def int_spin(
    key: str,
    name: str,
    minimum: int,
    maximum: int,
    step: int = 1,
    special: str = "",
    suffix: str = "",
) -> Binding:
    spin = _set_up_spin(QSpinBox(), key, name, minimum, maximum, step, special, suffix)
    spin.setAccelerated(True)
    return Binding(spin, spin.value, lambda v: spin.setValue(int(float(v))), spin.valueChanged)


def float_spin(
    key: str,
    name: str,
    minimum: float,
    maximum: float,
    step: float,
    decimals: int = 2,
    suffix: str = "",
    scale: float = 1.0,
) -> Binding:
    """scale: shown value = stored value * scale (e.g. 100 to show a fraction in %)."""
    spin = QDoubleSpinBox()
    spin.setDecimals(decimals)  # before the range, which is rounded to it
    _set_up_spin(spin, key, name, minimum, maximum, step, suffix=suffix)
    return Binding(
        spin,
        lambda: round(spin.value() / scale, decimals + 4),
        lambda v: spin.setValue(float(v) * scale),
        spin.valueChanged,
    )


def scientific_spin(key: str, name: str, maximum: float, special: str = "") -> Binding:
    spin = _set_up_spin(ScientificSpinBox(), key, name, 0.0, maximum, special=special)
    return Binding(spin, spin.value, lambda v: spin.setValue(float(v)), spin.valueChanged)


def combo(key: str, name: str, items: Sequence[tuple[str, str]]) -> Binding:
    """items: (shown text, stored value)."""
    box = QComboBox()
    box.setObjectName(name)
    for text, value in items:
        box.addItem(text, value)
    box.setToolTip(TOOLTIPS.get(key, ""))

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
    box.setToolTip(TOOLTIPS.get(key, ""))

    def get() -> str:
        state = box.checkState()
        return next((k for k, s in _PRECISION_STATES.items() if s == state), "auto")

    def set_value(value: Any) -> None:
        box.setCheckState(_PRECISION_STATES.get(str(value), Qt.CheckState.PartiallyChecked))

    box.checkStateChanged.connect(lambda _state: box.setText(_PRECISION_TEXT[get()]))
    set_value("auto")
    box.setText(_PRECISION_TEXT["auto"])
    return Binding(box, get, set_value, box.checkStateChanged)
