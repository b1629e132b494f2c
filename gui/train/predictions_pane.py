"""The Train page's validation predictions: a heading with the "Mistakes only" and "Show all"
controls, the line saying which filter is on, the PredictionGrid, and the detail dialog a
clicked tile opens."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.events import PredictionsSampled
from gui.widgets.accessible import describe
from gui.widgets.image_detail import ImageDetailDialog
from gui.widgets.prediction_grid import PredictionGrid
from gui.widgets.prediction_model import SampleRole


class PredictionsPane(QWidget):
    """`set_predictions(ev)`, `set_filter(true, pred)`, `clear()`; `showAllRequested` fires
    when the user clears the filters (the confusion matrix drops its highlight then)."""

    showAllRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._detail: ImageDetailDialog | None = None
        self.run_dir = ""  # the run being shown: "Why?" explains with its best model
        self._epoch: int | None = None  # the validation pass the tiles come from
        self.grid = PredictionGrid()
        describe(self.grid, "Validation predictions")
        self.filter_label = QLabel()  # blank until the first epoch: the grid says why
        self.filter_label.setObjectName("predictionFilterLabel")
        self.filter_label.setProperty("role", "muted")
        self.filter_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # "True cat, predicted as dog: 5 of 60 sampled images (5 in the whole validation
        # set)" wraps rather than ending in "(5 in the".
        self.filter_label.setWordWrap(True)
        # A line high even when blank: the tiles must not move down when it gets its text.
        self.filter_label.setMinimumHeight(self.filter_label.fontMetrics().height())
        self.mistakes_check = QCheckBox("Mistakes only")
        self.mistakes_check.setObjectName("mistakesOnlyCheck")
        self.show_all_button = QPushButton("Show all")
        self.show_all_button.setObjectName("showAllButton")
        self.show_all_button.setToolTip("Clear the confusion-matrix filter")
        heading = QLabel("Validation predictions")
        heading.setProperty("role", "heading")
        bar = QHBoxLayout()
        bar.addWidget(heading)
        bar.addStretch(1)
        bar.addWidget(self.mistakes_check)
        bar.addWidget(self.show_all_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(bar)
        box.addWidget(self.filter_label)
        box.addWidget(self.grid, 1)

        self.grid.filterChanged.connect(self.filter_label.setText)
        self.grid.clicked.connect(self._on_grid_clicked)
        self.grid.sampleActivated.connect(self.show_sample)
        self.show_all_button.clicked.connect(self._on_show_all_button_clicked)
        self.mistakes_check.toggled.connect(self.grid.set_only_mistakes)

    def set_predictions(self, ev: PredictionsSampled) -> None:
        self._epoch = ev.epoch
        self.grid.set_predictions(ev)

    def set_filter(self, true_index: int | None, pred_index: int | None) -> None:
        self.grid.set_filter(true_index, pred_index)

    def clear(self) -> None:
        """A new run: no tiles, no filter."""
        self._epoch = None
        self.grid.set_predictions(PredictionsSampled(0, [], []))
        self.grid.clear_filter()
        self.mistakes_check.setChecked(False)

    def show_sample(self, sample: object) -> None:
        if self._detail is None:
            self._detail = ImageDetailDialog(self)
        self._detail.set_model(self.run_dir)
        self._detail.show_sample(sample, self.grid.source_model.class_names, self._epoch)

    def detail_dialog(self) -> ImageDetailDialog | None:
        return self._detail

    def _on_grid_clicked(self, index: QModelIndex) -> None:
        sample = index.data(SampleRole)
        if sample is not None:
            self.show_sample(sample)

    def _on_show_all_button_clicked(self) -> None:
        self.mistakes_check.setChecked(False)
        self.grid.clear_filter()
        self.showAllRequested.emit()
