"""The Settings tab of the Runs page: one run's config.json as setting and value, or several
runs' side by side (what differs first, in bold). Every value column fits the tab: a long
value (a run folder's path) is elided in the middle, whole in its tooltip, so a second run's
column is never pushed off screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from gui.runs.run_records import RunData
from gui.widgets.accessible import describe

MIN_VALUE_WIDTH = 80  # px; more runs than fit at this width scroll sideways
MAX_SETTING_SHARE = 0.4  # of the width, for the setting names' column

# config.json keys in words; the others are shown with "_" as spaces.
# fmt: off
SETTING_LABELS = {
    "data_dir": "dataset folder", "out_dir": "run folder", "arch": "architecture",
    "pretrained": "ImageNet pretrained", "weights_file": "weights file",
    "freeze_backbone": "freeze backbone", "lr": "learning rate", "warmup_epochs": "warm-up epochs",
    "step_size": "LR step (epochs)", "step_gamma": "LR step factor", "image_size": "image size (px)",
    "val_split": "validation split", "class_balanced": "class-balanced loss",
    "early_stopping_patience": "early-stopping patience", "mixed_precision": "mixed precision",
    "cpu_threads": "CPU threads", "num_workers": "data loader workers",
    "cache_memory_mb": "image cache (MB)", "prediction_samples": "prediction samples",
    "resume": "resumed", "hflip": "horizontal flip", "vflip": "vertical flip",
    "random_resized_crop": "random resized crop", "crop_scale_min": "smallest crop (area)",
    "rotation_degrees": "rotation (°)", "color_jitter": "colour jitter",
    "trivial_augment": "TrivialAugment",
}
# fmt: on


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}: "))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _setting_label(key: str) -> str:
    prefix, _, last = key.rpartition(": ")
    label = SETTING_LABELS.get(last, last.replace("_", " "))
    return f"{prefix}: {label}" if prefix else label


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(_setting_text(v) for v in value)
    return str(value)


class RunSettingsTable(QTableWidget):
    """objectName "runSettings"; `show_runs(runs, labels)`."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("runSettings")
        describe(self, "Run settings")
        self.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it), no trap
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a path keeps both its ends
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # "21:00:47 loupe…", not cut at both ends: elided with the weight the style sheet
        # draws the header in (it measured with the regular font, and the text overflowed).
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        bold = QFont(header.font())
        bold.setWeight(QFont.Weight.DemiBold)
        header.setFont(bold)
        self._natural: list[int] = []  # the columns' content widths

    def show_runs(self, runs: list[RunData], labels: list[str]) -> None:
        """One run: setting, value. Several: a column per run, headed by its `labels` entry."""
        flats = [_flatten(run.config) for run in runs]
        keys = list(dict.fromkeys(k for flat in flats for k in flat))
        differs = {k for k in keys if len({_setting_text(f.get(k)) for f in flats}) > 1}
        if len(runs) > 1:  # what differs is what the comparison is about: list it first
            keys.sort(key=lambda k: k not in differs)
        self.clear()
        headers = ["setting"] + (labels if len(runs) > 1 else ["value"])
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        if len(runs) > 1:
            for col, run in enumerate(runs, start=1):
                self.horizontalHeaderItem(col).setToolTip(run.run_dir)
        self.setRowCount(len(keys))
        bold = QFont(self.font())
        bold.setBold(True)
        for row, key in enumerate(keys):
            label = QTableWidgetItem(_setting_label(key))
            label.setToolTip(key)
            self.setItem(row, 0, label)
            for col, flat in enumerate(flats, start=1):
                item = QTableWidgetItem(_setting_text(flat.get(key)))
                item.setToolTip(item.text())
                self.setItem(row, col, item)
            if key in differs:
                for col in range(len(headers)):
                    self.item(row, col).setFont(bold)
                    self.item(row, col).setBackground(QColor(255, 244, 204))
        if not keys:
            self.setRowCount(1)
            self.setItem(0, 0, QTableWidgetItem("config.json is missing or unreadable"))
        self.horizontalHeader().setStretchLastSection(False)
        self.resizeColumnsToContents()
        self._natural = [self.columnWidth(col) for col in range(self.columnCount())]
        self.fit_columns()

    def fit_columns(self) -> None:
        """The setting names up to MAX_SETTING_SHARE of the width, the runs' values share the
        rest (each at most its content's width, at least MIN_VALUE_WIDTH); the last column
        takes what is left."""
        if not self._natural:
            return
        room = self.viewport().width()
        name_width = min(self._natural[0], max(int(room * MAX_SETTING_SHARE), 60))
        values = self._natural[1:]
        share = (room - name_width) // max(len(values), 1)
        self.setColumnWidth(0, name_width)
        for col, natural in enumerate(values, start=1):
            self.setColumnWidth(col, max(min(natural, share), MIN_VALUE_WIDTH))
        self.horizontalHeader().setStretchLastSection(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()
