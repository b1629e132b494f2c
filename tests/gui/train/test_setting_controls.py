"""The window's settings come from the same metadata as the CLI's flags: every user-facing
TrainConfig setting has a control named like the setting, with its help as tooltip and its
range as the spin box's."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
)

from core.train.config import TrainConfig
from core.train.settings import setting_fields
from gui.train.hyperparameter_fields import spin_range
from gui.train.model_settings import ModelSettingsPanel

USER_FACING = [item for item in setting_fields(TrainConfig) if item.setting.in_window]


@pytest.fixture(scope="module")
def panel():
    # One panel for every parameter: building it is the slow part. qtbot is function-scoped,
    # so the QApplication comes from pytest-qt's session fixture directly.
    return ModelSettingsPanel()


def _form_label(panel, widget) -> str:
    """The text of the form label in front of `widget` (or of the row layout holding it)."""
    for form in panel.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is None or field is None:
                continue
            inner = field.layout()
            if field.widget() is widget or (inner is not None and inner.indexOf(widget) >= 0):
                return label.widget().text()
    return ""


@pytest.mark.parametrize("item", USER_FACING, ids=lambda item: item.key)
def test_every_user_facing_setting_has_a_control_with_its_tooltip(qapp, panel, item):
    binding = panel.bindings.get(item.key)
    assert binding is not None, f"{item.key} has no control in the window"
    widget = binding.widget
    assert item.setting.help in widget.toolTip()
    if isinstance(widget, QCheckBox):
        assert widget.text().startswith(item.setting.label)
    elif item.kind is not bool:
        assert _form_label(panel, widget) == item.setting.label
    if isinstance(widget, QComboBox) and item.setting.choices:
        offered = {widget.itemData(i) for i in range(widget.count())}
        assert offered == set(item.setting.choices)
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        scale = 100.0 if widget.suffix() == " %" else 1.0
        low, high = spin_range(item.key, scale)
        assert (widget.minimum(), widget.maximum()) == pytest.approx((low, high))
        assert isinstance(widget, QAbstractSpinBox)
