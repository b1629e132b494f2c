"""Presets on the Train page's settings panel: choosing one gives exactly that preset, editing
switches to Custom, and the tutorial recipe never lingers under another preset's name."""

from __future__ import annotations

import dataclasses
import json

import pytest
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox

from core.train.config import TrainConfig
from core.train.presets import (
    BALANCED,
    BEST,
    CUSTOM,
    DESCRIPTIONS,
    QUICK,
    QUICK_IMAGE_SIZE,
    TUTORIAL,
)
from gui.train.model_settings import ModelSettingsPanel
from tests.gui.train.settings_panel import child, select_arch


def test_presets_change_values_and_editing_switches_to_custom(loaded):
    select_arch(loaded, "resnet18")
    loaded.apply_preset(QUICK)
    quick = loaded.build_config("/d", "/o")
    assert quick.epochs == 5 and quick.image_size == QUICK_IMAGE_SIZE
    assert quick.arch == "auto"  # a preset chooses the architecture too
    loaded.apply_preset(BEST)
    best = loaded.build_config("/d", "/o")
    assert best.epochs > 10 and best.label_smoothing == pytest.approx(0.1)
    assert best.arch == "auto"  # which fine-tunes ImageNet weights for photos by itself
    assert best.augment.color_jitter > 0 and best.augment.rotation_degrees > 0
    assert loaded.presetCombo.currentText() == BEST
    child(loaded, QSpinBox, "epochsSpin").setValue(31)
    assert loaded.presetCombo.currentText() == CUSTOM
    # Choosing a preset in the combo applies it.
    combo = loaded.presetCombo
    combo.setCurrentText(BALANCED)
    combo.activated.emit(combo.currentIndex())
    assert loaded.build_config("/d", "/o").epochs == 0  # Balanced: epochs on auto
    # Editing back to a preset's values shows that preset again.
    child(loaded, QSpinBox, "epochsSpin").setValue(5)
    child(loaded, QSpinBox, "imageSizeSpin").setValue(QUICK_IMAGE_SIZE)
    assert loaded.presetCombo.currentText() == QUICK


def test_tutorial_preset_is_selectable_and_leaving_it_restores_loupes_recipe(loaded):
    combo = loaded.presetCombo
    assert combo.findText(TUTORIAL) >= 0
    combo.setCurrentText(TUTORIAL)
    combo.activated.emit(combo.currentIndex())
    tutorial = loaded.build_config("/d", "/o")
    assert (tutorial.arch, tutorial.batch_size, tutorial.epochs) == ("simple_cnn", 4, 2)
    assert (tutorial.optimizer, tutorial.lr, tutorial.momentum) == ("sgd", 0.001, 0.9)
    assert not tutorial.augment.hflip and not tutorial.augment.random_resized_crop
    assert combo.currentText() == TUTORIAL and loaded.problems("/d") == []
    combo.setCurrentText(BALANCED)
    combo.activated.emit(combo.currentIndex())
    balanced = loaded.build_config("/d", "/o")
    default = TrainConfig(data_dir="/d", out_dir="/o")
    assert (balanced.arch, balanced.batch_size, balanced.lr) == (
        default.arch, default.batch_size, default.lr
    )  # fmt: skip
    assert balanced.optimizer == default.optimizer and balanced.augment.hflip


def test_best_preset_never_trains_a_chosen_big_network_from_scratch(loaded):
    select_arch(loaded, "mobilenet_v3_large")  # weights unavailable offline
    loaded.apply_preset(BEST)
    config = loaded.build_config("/d", "/o")
    assert config.arch == "auto" and not config.pretrained
    assert loaded.problems("/d") == []


def test_a_preset_chosen_after_custom_edits_of_the_tutorial_is_that_preset_exactly(loaded, qtbot):
    """Tutorial, then a changed learning rate (Custom), then Quick or Balanced: every setting
    is the preset's (not only epochs and image size), the box and its description agree, and
    a restart restores the same."""
    combo = loaded.presetCombo
    device = child(loaded, QComboBox, "deviceCombo")
    device.setCurrentIndex(device.findData("cpu"))  # the computer's: a preset keeps it
    child(loaded, QDoubleSpinBox, "valSplitSpin").setValue(30)  # %

    def choose(name: str) -> None:
        combo.setCurrentText(name)
        combo.activated.emit(combo.currentIndex())

    choose(TUTORIAL)
    child(loaded, QDoubleSpinBox, "learningRateSpin").setValue(0.01)
    assert combo.currentText() == CUSTOM
    default = TrainConfig(data_dir="/d", out_dir="/o")
    for name, epochs, size in ((QUICK, 5, QUICK_IMAGE_SIZE), (BALANCED, 0, 0)):
        choose(name)
        config = loaded.build_config("/d", "/o")
        expected = dataclasses.replace(
            default, epochs=epochs, image_size=size, device="cpu", val_split=0.3
        )
        assert config == expected, name
        assert combo.currentText() == name
        assert loaded.preset_description.text() == DESCRIPTIONS[name]
    restored = ModelSettingsPanel()
    qtbot.addWidget(restored)
    restored.restore(json.loads(json.dumps(loaded.state())))
    assert restored.presetCombo.currentText() == BALANCED
    assert restored.build_config("/d", "/o") == loaded.build_config("/d", "/o")
    # Values that only partly match a preset are Custom, whatever was chosen before.
    child(loaded, QSpinBox, "batchSizeSpin").setValue(4)
    assert combo.currentText() == CUSTOM


def test_quick_preset_after_a_vit_leaves_no_size_problem(loaded):
    select_arch(loaded, "vit_b_16")
    loaded.apply_preset(QUICK)
    config = loaded.build_config("/d", "/o")
    assert (config.arch, config.image_size) == ("auto", QUICK_IMAGE_SIZE)
    assert loaded.problems("/d") == []
