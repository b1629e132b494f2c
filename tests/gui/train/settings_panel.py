"""The Train page's settings panel as tests build it: architectures and devices as torch would
list them, without torch (shared by the panel's test files)."""

from __future__ import annotations

from collections import namedtuple

from PySide6.QtWidgets import QComboBox

Device = namedtuple("Device", "key label")

ARCHITECTURES = [
    {
        "name": "simple_cnn",
        "description": "The small CNN of PyTorch's CIFAR-10 tutorial",
        "params": 62_006,
        "weights": "none",
        "min_image_size": 16,
        "fixed_image_size": None,
    },
    {
        "name": "loupe_net",
        "description": "Loupe's small CNN",
        "params": 620_000,
        "weights": "none",
        "min_image_size": 8,
        "fixed_image_size": None,
    },
    {
        "name": "resnet18",
        "description": "ResNet-18: a sturdy all-rounder",
        "params": 11_181_642,
        "weights": "downloadable",
        "min_image_size": 32,
        "fixed_image_size": None,
    },
    {
        "name": "mobilenet_v3_large",
        "description": "MobileNetV3-Large",
        "params": 4_214_842,
        "weights": "unavailable",
        "min_image_size": 32,
        "fixed_image_size": None,
    },
    {
        "name": "vit_b_16",
        "description": "ViT-B/16: Vision Transformer, needs 224 px",
        "params": 85_806_346,
        "weights": "cached",
        "min_image_size": 224,
        "fixed_image_size": 224,
    },
]


def child(panel, cls, name):
    widget = panel.findChild(cls, name)
    assert widget is not None, name
    return widget


def select_arch(panel, name: str) -> None:
    combo = child(panel, QComboBox, "archCombo")
    combo.setCurrentIndex(combo.findData(name))
