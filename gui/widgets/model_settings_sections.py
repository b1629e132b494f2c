"""The forms of the settings panel (training basics and the collapsible advanced sections)
and the texts that describe architectures and hint at good values. No torch: architecture
facts arrive as plain dicts from the background torch loader."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from core.config import TrainConfig
from core.datasets import DatasetReport
from gui.widgets.hyperparameter_fields import (
    TOOLTIPS,
    Binding,
    CollapsibleSection,
    check,
    combo,
    float_spin,
    int_spin,
    precision_check,
    scientific_spin,
)

AUTO_DESCRIPTION = "Loupe picks: small CNN for small images, pretrained model for photos"
# Offered before torch has loaded (core.models imports torch, so the list cannot come from
# there at start-up); set_architectures replaces it with the real list a few seconds later.
FALLBACK_ARCHITECTURES = (
    "loupe_net",
    "simple_cnn",
    "resnet18",
    "resnet34",
    "resnet50",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "efficientnet_b2",
    "convnext_tiny",
    "regnet_y_400mf",
    "vit_b_16",
)
WEIGHTS_EXTENSIONS = (".pth", ".pt", ".safetensors", ".bin")
SMALL_IMAGE_MAX = 64  # px, as core.defaults: up to here "auto" trains near the native size
_IMBALANCE_RATIO = 5.0  # as core.datasets' warning
_BYTES_PER_PARAMETER = 4  # float32 checkpoints: the download is about 4 bytes per weight

OPTIMIZERS = [
    ("AdamW", "adamw"),
    ("Adam", "adam"),
    ("SGD (momentum)", "sgd"),
    ("RMSprop", "rmsprop"),
]
SCHEDULES = [
    ("Cosine with warm-up", "cosine"),
    ("One-cycle", "onecycle"),
    ("Step", "step"),
    ("Constant", "constant"),
]
LOSSES = [("Cross-entropy", "cross_entropy"), ("Focal", "focal")]


def format_params(n: int | float | None) -> str:
    if not n:
        return ""
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} k"


def arch_item_text(name: str, info: dict[str, Any]) -> str:
    params = format_params(info.get("params"))
    return f"{name}  ({params})" if params else name


def weights_text(info: dict[str, Any], with_params: bool = False) -> str:
    status = info.get("weights")
    if status == "cached":
        text = "ImageNet weights: cached"
    elif status == "downloadable":
        megabytes = (
            info.get("download_mb") or (info.get("params") or 0) * _BYTES_PER_PARAMETER / 1e6
        )
        size = f" (~{megabytes:.0f} MB)" if megabytes else ""
        text = f"ImageNet weights: will download{size}"
    elif status == "unavailable":
        text = (
            "ImageNet weights: unavailable offline — train from scratch or choose a local "
            "weights file"
        )
    elif status == "none":
        text = "No pretrained weights"
    else:
        text = ""
    params = format_params(info.get("params")) if with_params else ""
    if params:
        return f"{params} parameters · {text}" if text else f"{params} parameters"
    return text


def config_values(config: TrainConfig) -> dict[str, Any]:
    """A TrainConfig as the panel's flat field values ('augment.<name>' for augmentation)."""
    values = dataclasses.asdict(config)
    augment = values.pop("augment")
    return {**values, **{f"augment.{k}": v for k, v in augment.items()}}


def muted_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setProperty("role", "muted")
    label.setStyleSheet("QLabel { color: #52606D; }")
    return label


def set_applicable(
    widget: QWidget, applicable: bool, why: str, tooltip: str, in_use: bool | None = None
) -> None:
    """Disable an option that does not apply, unless it is on (then problems() explains)."""
    if in_use is None:
        in_use = bool(getattr(widget, "isChecked", lambda: False)())
    widget.setEnabled(applicable or in_use)
    widget.setToolTip(tooltip if applicable else f"{why}\n\n{tooltip}")


def weights_file_field() -> tuple[Binding, QToolButton, QHBoxLayout]:
    """Line edit + browse button for a local weights file; the binding reads None when empty."""
    edit = QLineEdit()
    edit.setObjectName("weightsFileEdit")
    edit.setPlaceholderText("optional")
    edit.setToolTip(TOOLTIPS["weights_file"])
    edit.setClearButtonEnabled(True)
    browse = QToolButton()
    browse.setObjectName("weightsFileBrowse")
    browse.setText("…")
    browse.setToolTip("Choose a weights file")
    # style.qss pads tool buttons taller than a line edit; this one sits beside one.
    browse.setStyleSheet("QToolButton { padding: 0 6px; min-height: 0; }")
    browse.setFixedHeight(edit.sizeHint().height())
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
    return binding, browse, row


def align_form_labels(forms: list[QFormLayout]) -> None:
    """One label column width for forms stacked above each other, so their fields line up."""
    labels = [
        item.widget()
        for form in forms
        for row in range(form.rowCount())
        if (item := form.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
        and isinstance(item.widget(), QLabel)
    ]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def _hint_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setProperty("role", "muted")
    label.setStyleSheet("QLabel { color: #52606D; }")
    label.setVisible(False)
    return label


def build_training_fields(form: QFormLayout) -> dict[str, Binding]:
    """The settings most runs touch, added to `form`; returns their bindings by config key."""
    fields = {
        "epochs": int_spin("epochs", "epochsSpin", 1, 10_000),
        "batch_size": int_spin("batch_size", "batchSizeSpin", 1, 4096, step=8),
        "lr": scientific_spin("lr", "learningRateSpin", 10.0, special="auto"),
        "image_size": int_spin(
            "image_size", "imageSizeSpin", 0, 1024, step=8, special="auto", suffix=" px"
        ),
        "device": combo("device", "deviceCombo", [("Auto", "auto")]),
        "mixed_precision": precision_check("mixed_precision", "mixedPrecisionCheck"),
        "class_balanced": check(
            "class_balanced", "classBalancedCheck", "Balance classes (weight rare classes more)"
        ),
    }
    form.addRow("Epochs", fields["epochs"].widget)
    form.addRow("Batch size", fields["batch_size"].widget)
    form.addRow("Learning rate", fields["lr"].widget)
    form.addRow("Image size", fields["image_size"].widget)
    form.addRow(_hint_label("imageSizeHint"))
    form.addRow("Device", fields["device"].widget)
    form.addRow(fields["mixed_precision"].widget)
    form.addRow(fields["class_balanced"].widget)
    hint = _hint_label("classBalanceHint")
    hint.setStyleSheet("QLabel { color: #8A5A00; }")  # amber: advice, not an error
    form.addRow(hint)
    return fields


def build_advanced_sections() -> tuple[dict[str, CollapsibleSection], dict[str, Binding]]:
    """Rarely changed settings in collapsed sections: {section key: section}, bindings."""
    sections = {
        "optimizer": CollapsibleSection("Advanced: optimizer and schedule"),
        "augmentation": CollapsibleSection("Advanced: augmentation"),
        "loss": CollapsibleSection("Advanced: loss"),
        "data": CollapsibleSection("Advanced: validation and run"),
    }
    for key, section in sections.items():
        section.setObjectName(f"{key}Section")
    rows: dict[str, list[tuple[str, str, Binding]]] = {
        "optimizer": [
            ("Optimizer", "optimizer", combo("optimizer", "optimizerCombo", OPTIMIZERS)),
            ("Momentum", "momentum", float_spin("momentum", "momentumSpin", 0, 0.999, 0.01, 3)),
            (
                "Weight decay",
                "weight_decay",
                scientific_spin("weight_decay", "weightDecaySpin", 1.0),
            ),
            ("Schedule", "schedule", combo("schedule", "scheduleCombo", SCHEDULES)),
            (
                "Warm-up",
                "warmup_epochs",
                float_spin("warmup_epochs", "warmupSpin", 0, 100, 0.5, 1, " epochs"),
            ),
            (
                "Step every",
                "step_size",
                int_spin("step_size", "stepSizeSpin", 1, 1000, suffix=" epochs"),
            ),
            ("Step factor", "step_gamma", float_spin("step_gamma", "stepGammaSpin", 0.01, 1, 0.05)),
        ],
        "augmentation": [
            ("", "augment.hflip", check("augment.hflip", "hflipCheck", "Mirror left-right")),
            ("", "augment.vflip", check("augment.vflip", "vflipCheck", "Flip upside down")),
            (
                "",
                "augment.random_resized_crop",
                check("augment.random_resized_crop", "randomCropCheck", "Random crops"),
            ),
            (
                "Crop keeps at least",
                "augment.crop_scale_min",
                float_spin("augment.crop_scale_min", "cropScaleSpin", 5, 100, 5, 0, " %", 100),
            ),
            (
                "Rotation",
                "augment.rotation_degrees",
                float_spin("augment.rotation_degrees", "rotationSpin", 0, 180, 5, 0, "°"),
            ),
            (
                "Colour jitter",
                "augment.color_jitter",
                float_spin("augment.color_jitter", "colorJitterSpin", 0, 1, 0.05),
            ),
            (
                "",
                "augment.trivial_augment",
                check("augment.trivial_augment", "trivialAugmentCheck", "TrivialAugment (slower)"),
            ),
        ],
        "loss": [
            ("Loss", "loss", combo("loss", "lossCombo", LOSSES)),
            (
                "Focal gamma",
                "focal_gamma",
                float_spin("focal_gamma", "focalGammaSpin", 0, 10, 0.5, 1),
            ),
            (
                "Label smoothing",
                "label_smoothing",
                float_spin("label_smoothing", "labelSmoothingSpin", 0, 0.5, 0.05),
            ),
        ],
        "data": [
            (
                "Validation share",
                "val_split",
                float_spin("val_split", "valSplitSpin", 1, 89, 5, 0, " %", 100),
            ),
            (
                "Early stopping",
                "early_stopping_patience",
                int_spin(
                    "early_stopping_patience",
                    "earlyStoppingSpin",
                    0,
                    1000,
                    special="off",
                    suffix=" epochs",
                ),
            ),
            ("Seed", "seed", int_spin("seed", "seedSpin", 0, 2**31 - 1)),
            (
                "Image cache",
                "cache_memory_mb",
                int_spin(
                    "cache_memory_mb",
                    "cacheMemorySpin",
                    0,
                    1_048_576,
                    step=256,
                    special="off (read from disk)",
                    suffix=" MB",
                ),
            ),
        ],
    }
    bindings: dict[str, Binding] = {}
    for key, entries in rows.items():
        form = sections[key].form
        for label, field, binding in entries:
            if label:
                form.addRow(label, binding.widget)
            else:
                form.addRow(binding.widget)
            bindings[field] = binding
    return sections, bindings


def image_size_hint(report: DatasetReport | None, size: int, info: dict[str, Any]) -> str:
    fixed = info.get("fixed_image_size")
    if fixed:
        return f"This model always uses {fixed} px."
    median = report.median_size if report is not None else None
    if not median:
        return "auto: near the images' own size for small images, 128–224 px for photos."
    w, h = median
    short = min(w, h)
    if short <= SMALL_IMAGE_MAX:
        native = max(16, round(short / 8) * 8)
        if size > 2 * native:
            return (
                f"Your images are only about {w}×{h}: {size} px enlarges them, which slows "
                "training without adding detail."
            )
        return f"Your images are small (about {w}×{h}): auto trains at {native} px, their own size."
    return f"Your images are about {w}×{h}: auto uses 224 px on a GPU, 128–160 px on a CPU."


def imbalance_hint(report: DatasetReport | None) -> str:
    if report is None:
        return ""
    totals = {c: sum(per.get(c, 0) for per in report.counts.values()) for c in report.class_names}
    present = {c: n for c, n in totals.items() if n > 0}
    if len(present) < 2:
        return ""
    largest = max(present, key=lambda c: (present[c], c))
    smallest = min(present, key=lambda c: (present[c], c))
    if present[largest] / present[smallest] <= _IMBALANCE_RATIO:
        return ""
    return (
        f"Classes are imbalanced ('{largest}' {present[largest]} images, '{smallest}' "
        f"{present[smallest]}): <a href='balance'>turn on class balancing</a> so the rare "
        "classes count."
    )


def config_problems(config: TrainConfig, info: dict[str, Any]) -> list[str]:
    """What TrainConfig.validate() cannot know: the architecture's size limits and weights,
    and whether the weights file exists. `info` is the architecture's dict ({} if unknown)."""
    found: list[str] = []
    arch = config.arch
    fixed, minimum = info.get("fixed_image_size"), int(info.get("min_image_size") or 0)
    if config.image_size and fixed and config.image_size != fixed:
        found.append(
            f"{arch} only works with {fixed}-pixel images: set Image size to {fixed} or auto."
        )
    elif config.image_size and config.image_size < minimum:
        found.append(
            f"{arch} needs images of at least {minimum} pixels: raise Image size or set it to auto."
        )
    if config.pretrained and info.get("weights") == "unavailable":
        found.append(
            f"ImageNet weights for {arch} are not downloaded and this computer is offline: "
            "untick 'Start from ImageNet weights', or choose a local weights file."
        )
    if config.pretrained and info.get("weights") == "none":
        found.append(f"{arch} has no ImageNet weights: untick 'Start from ImageNet weights'.")
    if config.weights_file:
        path = os.path.expanduser(config.weights_file)
        if arch == "auto":
            found.append("A weights file fits one architecture: choose it instead of 'auto'.")
        if not os.path.isfile(path):
            found.append(f"Weights file not found: {config.weights_file}")
        elif os.path.splitext(path)[1].lower() not in WEIGHTS_EXTENSIONS:
            found.append("The weights file must be a .pth, .pt or .safetensors file.")
    return found
