"""The forms of the settings panel: training basics, the collapsible advanced sections and
the small widgets around them."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from core.train.config import TrainConfig
from core.train.settings import flat_values
from gui.train.hyperparameter_fields import (
    LABELS,
    TOOLTIPS,
    Binding,
    CollapsibleSection,
    check,
    combo,
    float_spin,
    int_spin,
    path_field,
    precision_check,
    scientific_spin,
)
from gui.train.model_choice_combos import DeviceCombo
from gui.train.unlabelled_section import build_unlabelled_section
from gui.widgets.accessible import describe

OPTIMIZERS = [
    ("Auto", "auto"),
    ("AdamW", "adamw"),
    ("Adam", "adam"),
    ("SGD (momentum)", "sgd"),
    ("SGD (Nesterov momentum)", "nesterov"),
    ("RMSprop", "rmsprop"),
]
SCHEDULES = [
    ("Cosine with warm-up", "cosine"),
    ("One-cycle", "onecycle"),
    ("Step", "step"),
    ("Constant", "constant"),
]
LOSSES = [("Cross-entropy", "cross_entropy"), ("Focal", "focal")]


def config_values(config: TrainConfig) -> dict[str, Any]:
    """A TrainConfig as the panel's flat field values ('augment.<name>' for augmentation)."""
    return flat_values(config)


def muted_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setProperty("role", "muted")
    return label


def set_applicable(
    widget: QWidget, applicable: bool, why: str, tooltip: str, in_use: bool | None = None
) -> None:
    """Disable an option that does not apply, unless it is on (then problems() explains)."""
    if in_use is None:
        in_use = bool(getattr(widget, "isChecked", lambda: False)())
    widget.setEnabled(applicable or in_use)
    widget.setToolTip(tooltip if applicable else f"{why}\n\n{tooltip}")


def problems_label() -> QLabel:
    label = QLabel()
    label.setObjectName("problemsLabel")
    label.setWordWrap(True)
    label.setProperty("role", "problems")  # style.qss: red on pale red
    label.setVisible(False)
    return label


def weights_file_field() -> tuple[Binding, QToolButton, QHBoxLayout]:
    """Line edit + browse button for a local weights file; the binding reads None when empty."""
    edit = QLineEdit()
    edit.setObjectName("weightsFileEdit")
    edit.setPlaceholderText("optional")
    edit.setToolTip(TOOLTIPS["weights_file"])
    browse = QToolButton()
    browse.setObjectName("weightsFileBrowse")
    browse.setText("…")
    browse.setToolTip("Choose a weights file")
    describe(edit, LABELS["weights_file"])
    describe(browse, "Choose a weights file")  # its text, "…", says nothing read aloud
    # style.qss gives this one (#weightsFileBrowse) no padding: it sits beside a line edit.
    browse.setFixedHeight(edit.sizeHint().height())
    binding, row = path_field(edit, browse)
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
    """A muted hint, hidden until there is something to say."""
    label = muted_label(name)
    label.setVisible(False)
    return label


def build_training_fields(form: QFormLayout) -> dict[str, Binding]:
    """The settings most runs touch, added to `form`; returns their bindings by config key."""
    fields = {
        "epochs": int_spin("epochs", "epochsSpin"),
        "batch_size": int_spin("batch_size", "batchSizeSpin", step=8),
        "lr": scientific_spin("lr", "learningRateSpin", special="auto"),
        "image_size": int_spin(
            "image_size", "imageSizeSpin", step=16, special="auto", suffix=" px"
        ),
        "device": DeviceCombo().binding(),
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
    hint.setProperty("role", "advice")  # style.qss: amber, advice rather than an error
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
            ("Momentum", "momentum", float_spin("momentum", "momentumSpin", 0.01, 3)),
            (
                "Weight decay",
                "weight_decay",
                scientific_spin("weight_decay", "weightDecaySpin"),
            ),
            ("Schedule", "schedule", combo("schedule", "scheduleCombo", SCHEDULES)),
            (
                "Warm-up",
                "warmup_epochs",
                float_spin("warmup_epochs", "warmupSpin", 0.5, 1, " epochs"),
            ),
            (
                "Step every",
                "step_size",
                int_spin("step_size", "stepSizeSpin", suffix=" epochs"),
            ),
            ("Step factor", "step_gamma", float_spin("step_gamma", "stepGammaSpin", 0.05)),
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
                float_spin("augment.crop_scale_min", "cropScaleSpin", 5, 0, " %", 100),
            ),
            (
                "Rotation",
                "augment.rotation_degrees",
                float_spin("augment.rotation_degrees", "rotationSpin", 5, 0, "°"),
            ),
            (
                "Colour jitter",
                "augment.color_jitter",
                float_spin("augment.color_jitter", "colorJitterSpin", 0.05),
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
                float_spin("focal_gamma", "focalGammaSpin", 0.5, 1),
            ),
            (
                "Label smoothing",
                "label_smoothing",
                float_spin("label_smoothing", "labelSmoothingSpin", 0.05),
            ),
        ],
        "data": [
            (
                "Validation share",
                "val_split",
                float_spin("val_split", "valSplitSpin", 5, 0, " %", 100),
            ),
            (
                "Early stopping",
                "early_stopping_patience",
                int_spin(
                    "early_stopping_patience",
                    "earlyStoppingSpin",
                    special="off",
                    suffix=" epochs",
                ),
            ),
            ("Seed", "seed", int_spin("seed", "seedSpin")),
            (
                "Image cache",
                "cache_memory_mb",
                int_spin(
                    "cache_memory_mb",
                    "cacheMemorySpin",
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
    sections["unlabelled"], unlabelled = build_unlabelled_section()
    bindings.update(unlabelled)
    return sections, bindings
