"""The bar above the Classify page's results: which of them the grid shows (class, confidence
range) and in which order, the unsure threshold, and "Showing N of M"."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, QTimer
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from gui.classify.results_filter import ResultsFilterModel
from gui.classify.results_model import UNSURE, ResultsModel

SORT_CHOICES = [  # (label, key, descending)
    ("File name (A → Z)", "name", False),
    ("File name (Z → A)", "name", True),
    ("Confidence (low → high)", "confidence", False),
    ("Confidence (high → low)", "confidence", True),
    # Lowest margin between the two best classes first: what a person should label next.
    ("Most useful to label", "margin", False),
]


def _percent_spin(parent: QWidget, name: str, value: float, tooltip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setObjectName(name)
    spin.setRange(0.0, 100.0)
    spin.setDecimals(0)
    spin.setSingleStep(5.0)
    spin.setSuffix(" %")
    spin.setValue(value)
    spin.setToolTip(tooltip)
    spin.setKeyboardTracking(False)  # filter once the number is typed, not per keystroke
    return spin


class ResultsFilterBar(QWidget):
    """Class filter, confidence range, unsure threshold, sort order and "Showing N of M"."""

    def __init__(
        self,
        source: ResultsModel,
        proxy: ResultsFilterModel,
        parent: QWidget | None = None,
        count_in_bar: bool = True,
    ):
        super().__init__(parent)
        self.source = source
        self.proxy = proxy

        self.class_combo = QComboBox(self)
        self.class_combo.setObjectName("classFilterCombo")
        # A fixed width: counts growing while images stream in must not shift the bar.
        self.class_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.class_combo.setMinimumContentsLength(24)
        self.class_combo.setToolTip("Show one predicted class, or the unsure images of every class")
        self.min_spin = _percent_spin(
            self, "minConfidenceSpin", 0, "Hide images below this confidence"
        )
        self.max_spin = _percent_spin(
            self, "maxConfidenceSpin", 100, "Hide images above this confidence"
        )
        self.unsure_spin = _percent_spin(
            self,
            "unsureThresholdSpin",
            source.unsure_threshold * 100,
            "Images below this confidence count as unsure: amber tiles, the “Unsure” filter, "
            "and the “_unsure” folder when sorting",
        )
        self.sort_combo = QComboBox(self)
        self.sort_combo.setObjectName("sortCombo")
        for label, key, descending in SORT_CHOICES:
            self.sort_combo.addItem(label, (key, descending))
        self.count_label = QLabel(self)
        self.count_label.setObjectName("resultsCountLabel")
        # Room for "Showing 100,000 of 100,000": the buttons beside it stay put.
        self.count_label.setMinimumWidth(
            self.count_label.fontMetrics().horizontalAdvance("Showing 100,000 of 100,000 ")
        )

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for text, widget in (
            ("Class:", self.class_combo),
            ("Confidence:", self.min_spin),
            ("to", self.max_spin),
            ("Unsure below:", self.unsure_spin),
            ("Sort:", self.sort_combo),
        ):
            label = QLabel(text, self)
            label.setBuddy(widget)
            layout.addSpacing(6)
            layout.addWidget(label)
            layout.addWidget(widget)
        layout.addStretch(1)
        if count_in_bar:  # else the owner places count_label (e.g. under the grid)
            layout.addWidget(self.count_label)

        self.class_combo.currentIndexChanged.connect(self._on_class_changed)
        self.min_spin.valueChanged.connect(self._on_range_changed)
        self.max_spin.valueChanged.connect(self._on_range_changed)
        self.unsure_spin.valueChanged.connect(
            lambda value: source.set_unsure_threshold(value / 100.0)
        )
        self.sort_combo.currentIndexChanged.connect(self._on_sort_changed)
        # Counts change with every streamed batch: refresh at most every 150 ms.
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(150)
        self._refresh.timeout.connect(self.refresh)
        for signal in (source.classesChanged, source.unsureThresholdChanged, proxy.rowsInserted):
            signal.connect(self._schedule_refresh)
        proxy.modelReset.connect(self._update_count)  # a filter change: say so at once
        self.refresh()

    def _schedule_refresh(self, *_args: Any) -> None:
        if not self._refresh.isActive():
            self._refresh.start()

    def refresh(self) -> None:
        """Class list with counts, and the "Showing N of M" line."""
        counts = self.source.label_counts()
        total = self.source.rowCount()
        wanted: list[tuple[str, Any]] = [(f"All classes ({total:,})", None)]
        wanted += [(f"{name} ({counts.get(name, 0):,})", name) for name in self.source.labels()]
        wanted.append((f"Unsure ({self.source.unsure_count():,})", UNSURE))
        combo = self.class_combo
        current = combo.currentData()
        same_values = [combo.itemData(i) for i in range(combo.count())] == [v for _, v in wanted]
        combo.blockSignals(True)
        if not same_values:
            combo.clear()
            for text, value in wanted:
                combo.addItem(text, value)
        else:
            for i, (text, _) in enumerate(wanted):
                combo.setItemText(i, text)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
        if combo.currentData() != self.proxy.class_filter:  # the filtered class vanished
            self.proxy.set_class_filter(combo.currentData())
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.source.rowCount()
        self.count_label.setText(f"Showing {shown:,} of {total:,}" if total else "No results")

    def show_all(self) -> None:
        """Clear the class and confidence filters (the order and the unsure threshold stay)."""
        with QSignalBlocker(self.class_combo):
            self.class_combo.setCurrentIndex(0)
        for spin, value in ((self.min_spin, 0.0), (self.max_spin, 100.0)):
            with QSignalBlocker(spin):
                spin.setValue(value)
        self.proxy.clear_filters()

    def set_class_filter(self, value: str | None) -> None:
        self.refresh()
        index = self.class_combo.findData(value) if value is not None else 0
        if index >= 0:
            self.class_combo.setCurrentIndex(index)

    def _on_class_changed(self, _index: int) -> None:
        self.proxy.set_class_filter(self.class_combo.currentData())

    def _on_range_changed(self, _value: float) -> None:
        low, high = self.min_spin.value(), self.max_spin.value()
        if low > high:  # keep the range valid: move the other end
            other = self.max_spin if self.sender() is self.min_spin else self.min_spin
            other.blockSignals(True)
            other.setValue(low if other is self.max_spin else high)
            other.blockSignals(False)
            low, high = self.min_spin.value(), self.max_spin.value()
        self.proxy.set_confidence_range(low / 100.0, high / 100.0)

    def _on_sort_changed(self, _index: int) -> None:
        key, descending = self.sort_combo.currentData()
        self.proxy.set_sort(key, descending)
