"""The left side of the Train page: model, training settings and presets, turned into a
TrainConfig. Problems (a frozen backbone without pretrained weights, a ViT at 64 px...) are
listed live in red, so they are fixed before Train is pressed.

A control whose option does not apply is disabled, with a tooltip saying why, unless it is
switched on (e.g. restored from last session): then it stays enabled so the user can switch
it off, and `problems()` explains the conflict."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from core.data.datasets import DatasetReport
from core.train.config import TrainConfig
from core.train.defaults import has_small_images
from core.train.presets import (
    BALANCED,
    CUSTOM,
    DESCRIPTIONS,
    PRESET_NAMES,
    PresetContext,
    matching_preset,
    preset_recipe,
)
from core.train.settings import replace_values
from core.train.validation import config_problems
from gui.train.hyperparameter_fields import LABELS, TOOLTIPS, Binding, check
from gui.train.model_choice_combos import ArchitectureCombo
from gui.train.model_settings_sections import (
    align_form_labels,
    build_advanced_sections,
    build_training_fields,
    config_values,
    muted_label,
    problems_label,
    set_applicable,
    weights_file_field,
)
from gui.train.model_settings_text import (
    AUTO_DESCRIPTION,
    AUTO_WEIGHTS_TEXT,
    image_size_hint,
    imbalance_hint,
    pretrained_blocker,
    weights_text,
)
from gui.widgets.accessible import describe, form_label_for
from gui.widgets.wheel_guard import wheel_only_when_focused

STATE_VERSION = 1


class ModelSettingsPanel(QWidget):
    """Edits everything about a run except its folders; `build_config(data_dir, out_dir)`."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._arch_info: dict[str, dict[str, Any]] = {}
        self._report: DatasetReport | None = None
        self._data_dir = ""
        self._updating = 0  # > 0 while presets/restore set many controls at once
        self.bindings: dict[str, Binding] = {}
        self._build()
        self._connect()
        self._set_values(config_values(TrainConfig(data_dir="", out_dir="")))
        self.apply_preset(BALANCED)
        wheel_only_when_focused(self)

    # ---- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.presetCombo = QComboBox()
        self.presetCombo.setObjectName("presetCombo")
        self.presetCombo.addItems([*PRESET_NAMES, CUSTOM])
        self.presetCombo.setToolTip(TOOLTIPS["preset"])
        describe(self.presetCombo, LABELS["preset"])
        self.preset_description = muted_label("presetDescription")
        preset_row = QFormLayout()
        preset_row.addRow("Preset", self.presetCombo)
        preset_row.addRow(self.preset_description)

        model = QGroupBox("Model")
        form = QFormLayout(model)
        self.archCombo = ArchitectureCombo()
        self.arch_description = muted_label("archDescription")
        self.arch_details = muted_label("archDetails")
        form.addRow("Architecture", self.archCombo)
        form.addRow(self.arch_description)
        form.addRow(self.arch_details)
        self.bindings["arch"] = self.archCombo.binding()
        pretrained = check("pretrained", "pretrainedCheck", "Start from ImageNet weights")
        freeze = check(
            "freeze_backbone", "freezeCheck", "Freeze backbone (train only the last layer)"
        )
        self.pretrainedCheck, self.freezeCheck = pretrained.widget, freeze.widget
        self.bindings["pretrained"], self.bindings["freeze_backbone"] = pretrained, freeze
        form.addRow(self.pretrainedCheck)
        form.addRow(self.freezeCheck)
        weights, self.weights_browse, weights_row = weights_file_field()
        self.weightsFileEdit, self.bindings["weights_file"] = weights.widget, weights
        self.weights_browse.clicked.connect(self._on_weights_browse_clicked)
        form.addRow("Weights file", weights_row)
        form_label_for(form, weights_row, self.weightsFileEdit)

        training = QGroupBox("Training")
        training_form = QFormLayout(training)
        fields = build_training_fields(training_form)
        self.bindings.update(fields)
        for key, attr in (
            ("epochs", "epochsSpin"),
            ("batch_size", "batchSizeSpin"),
            ("lr", "learningRateSpin"),
            ("image_size", "imageSizeSpin"),
            ("device", "deviceCombo"),
            ("mixed_precision", "mixedPrecisionCheck"),
            ("class_balanced", "classBalancedCheck"),
        ):
            setattr(self, attr, fields[key].widget)

        self.sections, advanced = build_advanced_sections()
        self.bindings.update(advanced)
        self.optimizerCombo = advanced["optimizer"].widget
        self.valSplitSpin = advanced["val_split"].widget

        self.problems_label = problems_label()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        self.setMinimumWidth(320)
        layout.addLayout(preset_row)
        # At the top: visible without scrolling, right where Train-page eyes start.
        layout.addWidget(self.problems_label)
        layout.addWidget(model)
        layout.addWidget(training)
        for section in self.sections.values():
            layout.addWidget(section)
        layout.addStretch(1)
        align_form_labels([training_form, *(sec.form for sec in self.sections.values())])
        # The hint labels live inside the forms: find them once they are parented.
        self.image_size_hint = self.findChild(QLabel, "imageSizeHint")
        self.class_balance_hint = self.findChild(QLabel, "classBalanceHint")

    def _connect(self) -> None:
        for binding in self.bindings.values():
            binding.changed.connect(self._on_control_changed)
        self.presetCombo.activated.connect(self._on_preset_activated)
        self.class_balance_hint.linkActivated.connect(self._on_balance_hint_link_activated)

    # ---- architectures and devices ----------------------------------------------------------

    def set_architectures(self, architectures: Sequence[dict[str, Any]]) -> None:
        """From the torch loader: [{"name","description","params","weights",
        "min_image_size","fixed_image_size"}]. Keeps the selection when it still exists."""
        self._arch_info = {a["name"]: dict(a) for a in architectures if a.get("name")}
        before = self._current_arch()
        self.archCombo.fill(list(self._arch_info), self._arch_info)
        if self._current_arch() != before:
            self._on_control_changed()
        else:
            self._refresh()

    def set_devices(self, devices: Sequence[Any]) -> None:
        """DeviceChoice-like objects with .key and .label (or (key, label) pairs)."""
        self.deviceCombo.set_devices(devices)
        self._refresh()

    def _current_arch(self) -> str:
        return self.archCombo.current_arch()

    def arch_info(self, name: str | None = None) -> dict[str, Any]:
        return self._arch_info.get(name or self._current_arch(), {})

    # ---- dataset ----------------------------------------------------------------------------

    def set_dataset_report(self, report: DatasetReport | None) -> None:
        """Hints from the data: image size for small images, class-balancing when imbalanced,
        validation split unused when the folder is already split."""
        self._report = report
        self._data_dir = report.root if report is not None else ""
        self._refresh()

    def set_data_dir(self, path: str) -> None:
        self._data_dir = path
        self._refresh()

    def _has_val_folder(self) -> bool:
        report = self._report
        if report is None or report.layout != "split":
            return False
        return not any(w.startswith("No val folder found") for w in report.warnings)

    def _small_images(self) -> bool:
        return has_small_images(self._report.median_size if self._report else None)

    # ---- presets ----------------------------------------------------------------------------

    def _preset_context(self) -> PresetContext:
        return PresetContext(small_images=self._small_images())

    def apply_preset(self, name: str) -> None:
        """Exactly that preset: every recipe setting (core.train.presets.RECIPE_KEYS) at its
        value; the device, validation share and the like stay. The box then shows the preset
        whose recipe the values match (this one, unless a control refused a value)."""
        self._set_values(preset_recipe(name, self._preset_context()))

    def _on_preset_activated(self, index: int) -> None:
        name = self.presetCombo.itemText(index)
        if name != CUSTOM:
            self.apply_preset(name)
        else:
            self._refresh()

    # ---- values -----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Every field's value, keyed like presets (augment fields as 'augment.<name>')."""
        return {key: binding.get() for key, binding in self.bindings.items()}

    def _set_values(self, values: dict[str, Any]) -> None:
        self._updating += 1
        try:
            for key, value in values.items():
                binding = self.bindings.get(key)
                if binding is None:
                    continue
                try:
                    binding.set(value)
                except (TypeError, ValueError):
                    continue  # a hand-edited or old settings file: keep the control's value
        finally:
            self._updating -= 1
        self._on_control_changed()

    def build_config(self, data_dir: str, out_dir: str) -> TrainConfig:
        # Nested settings ("augment.<name>", "unlabelled.<name>") reach their own configs.
        return replace_values(TrainConfig(data_dir=data_dir, out_dir=out_dir), self.values())

    def problems(self, data_dir: str | None = None) -> list[str]:
        """Everything that would stop or spoil a run, in plain words (empty when fine)."""
        config = self.build_config(self._data_dir if data_dir is None else data_dir, "")
        return config_problems(config, self.arch_info(config.arch))

    # ---- persistence ------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """JSON-friendly snapshot of every control, for QSettings."""
        return {
            "version": STATE_VERSION,
            "preset": self.presetCombo.currentText(),
            "values": self.values(),
            "expanded": [key for key, s in self.sections.items() if s.is_expanded()],
        }

    def restore(self, state: dict[str, Any] | str | None) -> None:
        """Tolerates missing, unknown or mistyped entries (old or hand-edited settings); a
        JSON string of state() is accepted too. The preset shown follows from the values."""
        if isinstance(state, str):
            try:
                state = json.loads(state)
            except ValueError:
                return
        if not isinstance(state, dict):
            return
        values = state.get("values")
        if isinstance(values, dict):
            self._set_values(values)
        expanded = state.get("expanded")
        if isinstance(expanded, str):  # QSettings' ini format flattens one-item lists
            expanded = [expanded]
        if isinstance(expanded, (list, tuple)):
            for key, section in self.sections.items():
                section.set_expanded(key in expanded)

    # ---- live updates -----------------------------------------------------------------------

    def _on_control_changed(self, *_args: Any) -> None:
        if self._updating:
            return
        self._refresh()
        self.presetCombo.setCurrentText(matching_preset(self.values(), self._preset_context()))
        self.preset_description.setText(DESCRIPTIONS[self.presetCombo.currentText()])
        self.changed.emit()

    def _refresh(self) -> None:
        """Enable what applies, update the descriptions, hints and the problem list."""
        self._updating += 1
        try:
            self._refresh_model_section()
            self._refresh_training_hints()
        finally:
            self._updating -= 1
        self.preset_description.setText(DESCRIPTIONS.get(self.presetCombo.currentText(), ""))
        problems = self.problems()
        self.problems_label.setText("\n".join(f"• {p}" for p in problems))
        self.problems_label.setVisible(bool(problems))

    def _refresh_model_section(self) -> None:
        arch = self._current_arch()
        info = self.arch_info(arch)
        if arch == "auto":
            self.arch_description.setText(AUTO_DESCRIPTION)
            self.arch_details.setText(AUTO_WEIGHTS_TEXT)
        else:
            self.arch_description.setText(
                info.get("description", "") or "Details load in a moment…"
            )
            self.arch_details.setText(weights_text(info, with_params=True) if info else "")
        weights_file = bool(self.weightsFileEdit.text().strip())
        if arch == "auto":
            self.pretrainedCheck.setChecked(False)  # auto decides this by itself
        why = pretrained_blocker(arch, info.get("weights"), weights_file)
        set_applicable(self.pretrainedCheck, not why, why, TOOLTIPS["pretrained"])
        starts_trained = self.pretrainedCheck.isChecked() or weights_file
        set_applicable(
            self.freezeCheck,
            starts_trained,
            "Needs pretrained weights or a weights file: a frozen random backbone cannot learn.",
            TOOLTIPS["freeze_backbone"],
        )
        set_applicable(
            self.weightsFileEdit,
            arch != "auto",
            "Choose an architecture first: a weights file fits one architecture.",
            TOOLTIPS["weights_file"],
            in_use=weights_file,
        )
        self.weights_browse.setEnabled(self.weightsFileEdit.isEnabled())

    def _refresh_training_hints(self) -> None:
        info = self.arch_info()
        hint = image_size_hint(self._report, self.imageSizeSpin.value(), info)
        self.image_size_hint.setText(hint)
        self.image_size_hint.setVisible(bool(hint))
        balance = imbalance_hint(self._report) if not self.classBalancedCheck.isChecked() else ""
        self.class_balance_hint.setText(balance)
        self.class_balance_hint.setVisible(bool(balance))
        self._refresh_advanced()
        has_val = self._has_val_folder()
        self.valSplitSpin.setEnabled(not has_val)
        self.valSplitSpin.setToolTip(
            "The dataset already has a val folder, which is used as it is."
            if has_val
            else TOOLTIPS["val_split"]
        )

    def _refresh_advanced(self) -> None:
        """Grey out settings the chosen optimizer, schedule or loss does not use."""
        values = self.values()
        uses = {
            "momentum": values["optimizer"] in ("auto", "sgd", "nesterov", "rmsprop"),
            "warmup_epochs": values["schedule"] == "cosine",
            "step_size": values["schedule"] == "step",
            "step_gamma": values["schedule"] == "step",
            "augment.crop_scale_min": values["augment.random_resized_crop"],
            "focal_gamma": values["loss"] == "focal",
        }
        for key, used in uses.items():
            self.bindings[key].widget.setEnabled(bool(used))

    def _on_balance_hint_link_activated(self, _link: str) -> None:
        self.classBalancedCheck.setChecked(True)

    def _on_weights_browse_clicked(self) -> None:
        start = os.path.dirname(self.weightsFileEdit.text().strip()) or os.path.expanduser("~")
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Choose a weights file",
            start,
            "Weights (*.pth *.pt *.safetensors *.bin *.ckpt);;All files (*)",
        )
        if path:
            self.weightsFileEdit.setText(path)


if __name__ == "__main__":
    from gui.demo.demo_app import run_demo
    from gui.demo.page_demos import scrolled_model_settings_demo

    run_demo(scrolled_model_settings_demo, "ModelSettingsPanel demo")
