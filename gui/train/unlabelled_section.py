"""The Train page's "Also learn from unlabelled images" section: a folder chooser that says
plainly what an empty choice means, and the pseudo-label confidence and weight. Each control
carries its setting's help (core.train.unlabelled_config) as tooltip."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QToolButton

from gui.train.hyperparameter_fields import (
    LABELS,
    TOOLTIPS,
    Binding,
    CollapsibleSection,
    float_spin,
    path_field,
)
from gui.widgets.accessible import describe, form_label_for

TITLE = "Also learn from unlabelled images"
EMPTY_TEXT = "No folder chosen: the run learns from the labelled images only."
CHOSEN_TEXT = (
    "Each step also learns from unlabelled images the model is sure about; a labelled-only "
    "model trains alongside, and the run says whether they helped. Steps take several times "
    "longer."
)


def _folder_field() -> tuple[Binding, QHBoxLayout, QLabel]:
    """Line edit + browse button; the binding reads None when empty. The hint under it
    says what the current choice means."""
    edit = QLineEdit()
    edit.setObjectName("unlabelledFolderEdit")
    edit.setPlaceholderText("none")
    edit.setClearButtonEnabled(True)
    edit.setToolTip(TOOLTIPS["unlabelled.folder"])
    browse = QToolButton()
    browse.setObjectName("unlabelledFolderBrowse")
    browse.setText("…")
    browse.setToolTip("Choose a folder of unlabelled images")
    describe(edit, LABELS["unlabelled.folder"])
    describe(browse, "Choose a folder of unlabelled images")  # its text, "…", says nothing
    browse.setFixedHeight(edit.sizeHint().height())
    hint = QLabel(EMPTY_TEXT)
    hint.setObjectName("unlabelledHint")
    hint.setWordWrap(True)
    hint.setProperty("role", "muted")

    def on_browse_clicked() -> None:
        folder = QFileDialog.getExistingDirectory(
            edit, "Folder of unlabelled images", edit.text().strip()
        )
        if folder:
            edit.setText(folder)

    def on_text_changed(text: str) -> None:
        hint.setText(CHOSEN_TEXT if text.strip() else EMPTY_TEXT)

    browse.clicked.connect(on_browse_clicked)
    edit.textChanged.connect(on_text_changed)
    binding, row = path_field(edit, browse)
    return binding, row, hint


def build_unlabelled_section() -> tuple[CollapsibleSection, dict[str, Binding]]:
    section = CollapsibleSection(TITLE)
    section.setObjectName("unlabelledSection")
    folder, row, hint = _folder_field()
    threshold = float_spin("unlabelled.threshold", "unlabelledThresholdSpin", 1, 0, " %", 100)
    weight = float_spin("unlabelled.weight", "unlabelledWeightSpin", 0.25)
    form = section.form
    form.addRow("Unlabelled images", row)
    form_label_for(form, row, folder.widget)
    form.addRow(hint)
    form.addRow("Unlabelled confidence", threshold.widget)
    form.addRow("Unlabelled weight", weight.widget)
    bindings = {
        "unlabelled.folder": folder,
        "unlabelled.threshold": threshold,
        "unlabelled.weight": weight,
    }
    return section, bindings
