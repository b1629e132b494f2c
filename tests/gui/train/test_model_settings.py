"""ModelSettingsPanel: controls become a TrainConfig, presets, live problems, persistence."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from core.data.datasets import scan_dataset
from core.train.config import TrainConfig
from core.train.presets import (
    BALANCED,
    CUSTOM,
    QUICK,
    QUICK_IMAGE_SIZE,
)
from gui.train.model_settings import ModelSettingsPanel
from tests.core.image_factory import make_shapes_dataset
from tests.gui.train.settings_panel import ARCHITECTURES, Device, child, select_arch


def test_defaults_build_the_default_config(panel):
    assert panel.build_config("/data", "/out") == TrainConfig(data_dir="/data", out_dir="/out")
    assert panel.presetCombo.currentText() == BALANCED


def test_settings_left_on_auto_say_auto_not_zero(panel):
    """Epochs, learning rate and image size on auto read 'auto' (epochs read a bare '0')."""
    for name in ("epochsSpin", "imageSizeSpin"):
        spin = child(panel, QSpinBox, name)
        spin.setValue(spin.minimum())
        assert spin.text() == "auto", name
    lr = child(panel, QDoubleSpinBox, "learningRateSpin")
    lr.setValue(lr.minimum())
    assert lr.text() == "auto"


def test_before_torch_loads_architecture_names_show_without_counts(panel):
    combo = child(panel, QComboBox, "archCombo")
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts[0] == "auto" and "resnet18" in texts
    assert "Loupe picks" in panel.arch_description.text()
    assert child(panel, QComboBox, "deviceCombo").currentText() == "Auto"


def test_architecture_details_in_words(loaded):
    combo = child(loaded, QComboBox, "archCombo")
    assert combo.itemText(combo.findData("resnet18")) == "resnet18  (11.2 M)"
    select_arch(loaded, "resnet18")
    assert "sturdy" in loaded.arch_description.text()
    assert "11.2 M parameters" in loaded.arch_details.text()
    assert "will download (~45 MB)" in loaded.arch_details.text()
    select_arch(loaded, "mobilenet_v3_large")
    assert "unavailable offline" in loaded.arch_details.text()
    assert not loaded.pretrainedCheck.isEnabled()
    assert "offline" in loaded.pretrainedCheck.toolTip()
    select_arch(loaded, "loupe_net")
    assert "No pretrained weights" in loaded.arch_details.text()
    assert not loaded.pretrainedCheck.isEnabled()
    select_arch(loaded, "vit_b_16")
    assert "cached" in loaded.arch_details.text()
    assert loaded.pretrainedCheck.isEnabled()


def test_build_config_reflects_edited_controls(loaded, tmp_path):
    select_arch(loaded, "resnet18")
    loaded.pretrainedCheck.setChecked(True)
    assert loaded.freezeCheck.isEnabled()
    loaded.freezeCheck.setChecked(True)
    child(loaded, QSpinBox, "epochsSpin").setValue(7)
    child(loaded, QSpinBox, "batchSizeSpin").setValue(16)
    child(loaded, QDoubleSpinBox, "learningRateSpin").setValue(0.003)
    child(loaded, QSpinBox, "imageSizeSpin").setValue(128)
    optimizer = child(loaded, QComboBox, "optimizerCombo")
    optimizer.setCurrentIndex(optimizer.findData("sgd"))
    schedule = child(loaded, QComboBox, "scheduleCombo")
    schedule.setCurrentIndex(schedule.findData("step"))
    child(loaded, QSpinBox, "stepSizeSpin").setValue(3)
    child(loaded, QDoubleSpinBox, "valSplitSpin").setValue(30)  # shown in percent
    child(loaded, QDoubleSpinBox, "cropScaleSpin").setValue(50)
    child(loaded, QCheckBox, "vflipCheck").setChecked(True)
    child(loaded, QDoubleSpinBox, "labelSmoothingSpin").setValue(0.2)
    loss = child(loaded, QComboBox, "lossCombo")
    loss.setCurrentIndex(loss.findData("focal"))
    child(loaded, QCheckBox, "classBalancedCheck").setChecked(True)
    child(loaded, QSpinBox, "earlyStoppingSpin").setValue(4)
    child(loaded, QSpinBox, "seedSpin").setValue(42)
    device = child(loaded, QComboBox, "deviceCombo")
    device.setCurrentIndex(device.findData("cpu"))
    child(loaded, QCheckBox, "mixedPrecisionCheck").setCheckState(Qt.CheckState.Unchecked)

    config = loaded.build_config(str(tmp_path), str(tmp_path / "run"))
    assert (config.data_dir, config.out_dir) == (str(tmp_path), str(tmp_path / "run"))
    assert config.arch == "resnet18" and config.pretrained and config.freeze_backbone
    assert (config.epochs, config.batch_size, config.image_size) == (7, 16, 128)
    assert config.lr == pytest.approx(0.003)
    assert (config.optimizer, config.schedule, config.step_size) == ("sgd", "step", 3)
    assert config.val_split == pytest.approx(0.3)
    assert config.augment.crop_scale_min == pytest.approx(0.5) and config.augment.vflip
    assert config.label_smoothing == pytest.approx(0.2) and config.loss == "focal"
    assert config.class_balanced and config.early_stopping_patience == 4 and config.seed == 42
    assert (config.device, config.mixed_precision) == ("cpu", "off")
    assert loaded.presetCombo.currentText() == CUSTOM
    assert loaded.problems(str(tmp_path)) == []


def test_problems_flag_freeze_without_pretrained(loaded):
    loaded.set_data_dir("/d")  # the live list also says when no dataset is chosen
    select_arch(loaded, "resnet18")
    loaded.pretrainedCheck.setChecked(True)
    loaded.freezeCheck.setChecked(True)
    assert loaded.problems("/d") == []
    loaded.pretrainedCheck.setChecked(False)
    # Still checked, so it stays enabled for the user to untick, and the problem is explained.
    assert loaded.freezeCheck.isEnabled()
    problems = loaded.problems("/d")
    assert any("frozen random backbone" in p for p in problems)
    assert loaded.problems_label.isVisibleTo(loaded)
    assert "frozen random backbone" in loaded.problems_label.text()
    loaded.freezeCheck.setChecked(False)
    assert not loaded.freezeCheck.isEnabled()
    assert loaded.problems("/d") == []
    assert not loaded.problems_label.isVisibleTo(loaded)


def test_problems_flag_vit_below_its_fixed_size(loaded):
    select_arch(loaded, "vit_b_16")
    child(loaded, QSpinBox, "imageSizeSpin").setValue(64)
    assert any("224" in p and "vit_b_16" in p for p in loaded.problems("/d"))
    child(loaded, QSpinBox, "imageSizeSpin").setValue(0)  # auto picks 224 itself
    assert loaded.problems("/d") == []


def test_problems_flag_size_below_minimum_missing_file_and_no_dataset(loaded, tmp_path):
    select_arch(loaded, "resnet18")
    child(loaded, QSpinBox, "imageSizeSpin").setValue(24)
    assert any("at least 32 pixels" in p for p in loaded.problems("/d"))
    child(loaded, QSpinBox, "imageSizeSpin").setValue(0)
    edit = child(loaded, QLineEdit, "weightsFileEdit")
    edit.setText(str(tmp_path / "missing.pth"))
    assert not loaded.pretrainedCheck.isEnabled()  # a weights file replaces ImageNet's
    assert loaded.freezeCheck.isEnabled()
    assert any("Weights file not found" in p for p in loaded.problems("/d"))
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"x")
    edit.setText(str(weights))
    assert loaded.problems("/d") == []
    assert loaded.build_config("/d", "/o").weights_file == str(weights)
    assert loaded.problems("") == ["Choose a dataset folder."]


def test_restored_pretrained_for_unavailable_weights_is_explained(loaded):
    loaded.restore({"values": {"arch": "mobilenet_v3_large", "pretrained": True}})
    assert loaded.pretrainedCheck.isChecked() and loaded.pretrainedCheck.isEnabled()
    assert any("offline" in p for p in loaded.problems("/d"))
    loaded.pretrainedCheck.setChecked(False)
    assert not loaded.pretrainedCheck.isEnabled()
    assert loaded.problems("/d") == []


def test_state_round_trips_through_json(loaded, qtbot):
    select_arch(loaded, "resnet18")
    loaded.pretrainedCheck.setChecked(True)
    child(loaded, QSpinBox, "epochsSpin").setValue(12)
    child(loaded, QDoubleSpinBox, "learningRateSpin").setValue(0.0002)
    child(loaded, QCheckBox, "mixedPrecisionCheck").setCheckState(Qt.CheckState.Checked)
    device = child(loaded, QComboBox, "deviceCombo")
    device.setCurrentIndex(device.findData("cpu"))
    loaded.sections["augmentation"].set_expanded(True)
    state = json.loads(json.dumps(loaded.state()))
    expected = loaded.build_config("/d", "/o")

    # A fresh panel restored before torch has loaded: arch and device wait for their lists.
    other = ModelSettingsPanel()
    qtbot.addWidget(other)
    other.restore(state)
    other.set_architectures(ARCHITECTURES)
    other.set_devices([Device("auto", "Auto"), Device("cpu", "CPU")])
    assert other.build_config("/d", "/o") == expected
    assert other.sections["augmentation"].is_expanded()
    assert not other.sections["loss"].is_expanded()
    assert other.presetCombo.currentText() == CUSTOM


def test_restore_tolerates_strings_and_junk(panel):
    panel.restore({"values": {"epochs": "3", "class_balanced": "true", "lr": "0.01", "nope": 1}})
    config = panel.build_config("/d", "/o")
    assert (config.epochs, config.class_balanced, config.lr) == (3, True, 0.01)
    panel.restore(None)
    panel.restore({"values": {"epochs": "many"}})
    assert panel.build_config("/d", "/o").epochs == 3


def test_changed_signal_fires_on_edits(panel, qtbot):
    with qtbot.waitSignal(panel.changed, timeout=1000):
        child(panel, QSpinBox, "epochsSpin").setValue(3)


def test_dataset_report_hints_image_size_and_imbalance(loaded, tmp_path):
    root = make_shapes_dataset(tmp_path / "d", per_class=[30, 4], classes=("a", "b"), size=32)
    loaded.set_dataset_report(scan_dataset(str(root)).report)
    assert "32 px" in loaded.image_size_hint.text()
    assert loaded.class_balance_hint.isVisibleTo(loaded)
    assert "imbalanced" in loaded.class_balance_hint.text()
    loaded.class_balance_hint.linkActivated.emit("balance")
    assert loaded.build_config("/d", "/o").class_balanced
    assert not loaded.class_balance_hint.isVisibleTo(loaded)
    # Small images: the Quick preset keeps auto (their own size is already small).
    select_arch(loaded, "resnet18")
    loaded.apply_preset(QUICK)
    assert loaded.build_config("/d", "/o").image_size == 0


def test_the_image_size_hint_about_auto_goes_once_a_size_is_chosen(loaded, tmp_path):
    """ "auto uses 224 px on a GPU…" stayed under an Image size of 96 px."""
    root = make_shapes_dataset(tmp_path / "p", per_class=3, size=130)
    loaded.set_dataset_report(scan_dataset(str(root)).report)
    hint = loaded.image_size_hint
    assert "auto uses 224 px" in hint.text() and hint.isVisibleTo(loaded)
    size = child(loaded, QSpinBox, "imageSizeSpin")
    size.setValue(QUICK_IMAGE_SIZE)
    assert not hint.isVisibleTo(loaded)
    size.setValue(size.minimum())  # auto again
    assert "auto uses 224 px" in hint.text() and hint.isVisibleTo(loaded)
    # Small images: what auto does while on auto, the warning when a size enlarges them.
    small = make_shapes_dataset(tmp_path / "s", per_class=3, size=32)
    loaded.set_dataset_report(scan_dataset(str(small)).report)
    assert "auto trains at" in hint.text()
    size.setValue(48)
    assert not hint.isVisibleTo(loaded)
    size.setValue(224)
    assert "enlarges them" in hint.text() and hint.isVisibleTo(loaded)


def test_pre_split_dataset_disables_validation_share(loaded, tmp_path):
    root = make_shapes_dataset(tmp_path / "s", per_class=4, split=True, size=16)
    loaded.set_dataset_report(scan_dataset(str(root)).report)
    spin = child(loaded, QDoubleSpinBox, "valSplitSpin")
    assert not spin.isEnabled() and "val folder" in spin.toolTip()


def test_learning_rate_arrows_step_along_one_two_five(panel):
    spin = child(panel, QDoubleSpinBox, "learningRateSpin")
    assert spin.text() == "auto"
    spin.setValue(0.001)
    spin.stepBy(1)
    assert spin.value() == pytest.approx(0.002)
    spin.stepBy(1)
    assert spin.value() == pytest.approx(0.005)
    spin.stepBy(-2)
    assert spin.value() == pytest.approx(0.001)
    assert spin.text() == "0.001"


def test_a_device_from_last_session_that_is_gone_falls_back_to_auto(panel):
    panel.restore({"values": {"device": "cuda:1"}})
    assert panel.build_config("/d", "/o").device == "cuda:1"  # until the list is known
    panel.set_devices([Device("auto", "Auto"), Device("cpu", "CPU")])
    assert panel.build_config("/d", "/o").device == "auto"
    assert child(panel, QComboBox, "deviceCombo").currentText() == "Auto"


def _wheel_over(widget, steps: int = -3) -> None:
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_scrolling_past_a_control_does_not_change_it_until_it_is_clicked(qtbot):
    # Regression: the wheel scrolling the settings panel flipped Device from Auto to CPU.
    panel = ModelSettingsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_devices([("auto", "Auto (CPU)"), ("cpu", "CPU")])
    combo, spin = panel.deviceCombo, panel.batchSizeSpin
    before = (combo.currentIndex(), spin.value())
    _wheel_over(combo)
    _wheel_over(spin)
    assert (combo.currentIndex(), spin.value()) == before
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    _wheel_over(spin, 1)
    assert spin.value() != before[1]  # a control the user chose still takes the wheel
