"""The two choices of the settings panel whose lists arrive with torch: the architecture
(with parameter counts and weight availability) and the device. Until torch is loaded they
hold a fallback list, and a value restored from last session is kept until the real list
can confirm it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

from gui.train.hyperparameter_fields import LABELS, TOOLTIPS, Binding
from gui.train.model_settings_text import (
    AUTO_DESCRIPTION,
    FALLBACK_ARCHITECTURES,
    arch_item_text,
    weights_text,
)
from gui.widgets.accessible import describe


class ArchitectureCombo(QComboBox):
    """objectName "archCombo": "auto", then one item per architecture (data: its name)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("archCombo")
        self.setToolTip(TOOLTIPS["arch"])
        describe(self, LABELS["arch"])
        # Long names with their parameter counts must not widen the whole panel.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(14)
        self.fill(FALLBACK_ARCHITECTURES, {})

    def fill(self, names: Sequence[str], info: dict[str, dict[str, Any]]) -> None:
        """Replace the list without a change signal; the selection stays when it still
        exists. `info` (from the torch loader) adds parameter counts and tooltips."""
        current = self.current_arch() if self.count() else "auto"
        self.blockSignals(True)
        self.clear()
        self.addItem("auto", "auto")
        self.setItemData(0, AUTO_DESCRIPTION, Qt.ItemDataRole.ToolTipRole)
        for name in names:
            details = info.get(name, {})
            self.addItem(arch_item_text(name, details), name)
            if details:
                self.setItemData(
                    self.count() - 1,
                    f"{details.get('description', '')}\n{weights_text(details)}",
                    Qt.ItemDataRole.ToolTipRole,
                )
        self.setCurrentIndex(max(self.findData(current), 0))
        self.blockSignals(False)

    def current_arch(self) -> str:
        return self.currentData() or "auto"

    def select_arch(self, name: Any) -> None:
        name = str(name or "auto")
        if self.findData(name) < 0:  # restored before the list arrived
            self.addItem(name, name)
        self.setCurrentIndex(self.findData(name))

    def binding(self) -> Binding:
        return Binding(self, self.current_arch, self.select_arch, self.currentIndexChanged)


class DeviceCombo(QComboBox):
    """objectName "deviceCombo": the devices torch found (data: their keys, "auto" first)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deviceCombo")
        self.setToolTip(TOOLTIPS.get("device", ""))
        describe(self, LABELS["device"])
        self.addItem("Auto", "auto")
        self._key = "auto"  # kept while the device list is not known yet
        # Connected first, so the key is current for every later handler of the change.
        self.currentIndexChanged.connect(self._on_current_index_changed)

    def key(self) -> str:
        return self._key

    def select(self, key: Any) -> None:
        self._key = str(key or "auto")
        index = self.findData(self._key)
        if index >= 0:
            self.setCurrentIndex(index)

    def set_devices(self, devices: Sequence[Any]) -> None:
        """DeviceChoice-like objects with .key and .label (or (key, label) pairs)."""
        wanted = self._key
        self.blockSignals(True)
        self.clear()
        for device in devices:
            key, label = (device.key, device.label) if hasattr(device, "key") else device
            self.addItem(label, key)
        if self.count() == 0:
            self.addItem("Auto", "auto")
        self.setCurrentIndex(max(self.findData(wanted), 0))
        self.blockSignals(False)
        # A device from last session that is gone now falls back to the first (auto): what
        # the combo shows is what the run uses.
        self._key = self.currentData()

    def binding(self) -> Binding:
        return Binding(self, self.key, self.select, self.currentIndexChanged)

    def _on_current_index_changed(self, _index: int) -> None:
        self._key = self.currentData() or "auto"
