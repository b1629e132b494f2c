"""The Classify page's progress: a bar with "1,234 of 6,000" and a line beside it that says
what the classification is doing (loading the model, listing, its speed and time left)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from core.infer.results import ClassifyProgress
from core.words import format_duration
from gui.widgets.accessible import describe
from gui.widgets.progress_bars import set_progress


class ProgressRow:
    """The bar and its line, laid out by the page (`add_to(row)`); `total` is the number of
    images listed in the current classification."""

    def __init__(self, parent: QWidget) -> None:
        self.bar = QProgressBar(parent)
        self.bar.setObjectName("classifyProgress")
        describe(self.bar, "Classification progress")
        self.bar.setFormat("")  # "1,234 of 6,000": see show_count
        self.label = QLabel(parent)
        self.label.setObjectName("classifyProgressLabel")
        self.total = 0

    def add_to(self, row: QHBoxLayout) -> None:
        row.addWidget(self.bar, 1)
        row.addWidget(self.label)

    def starting(self, model_loaded: bool) -> None:
        self.total = 0
        self.bar.setRange(0, 0)  # busy until the folder is listed
        self.label.setText("Listing images…" if model_loaded else "Loading the model…")

    def model_loaded(self) -> None:
        self.label.setText("Listing images…")

    def listed(self, total: int) -> None:
        self.total = total
        self.show_count(0, total)
        self.label.setText(f"Found {total:,} images")

    def advanced(self, progress: ClassifyProgress) -> None:
        self.show_count(progress.done, progress.total)
        left = format_duration(progress.eta_seconds)
        self.label.setText(f"{progress.images_per_second:,.0f} images/s · about {left} left")

    def stopping(self) -> None:
        self.label.setText("Stopping…")

    def ended(self, status: str) -> None:
        if status == "finished":
            self.show_count(self.total, self.total)
        elif self.bar.maximum() == 0:
            self.bar.setRange(0, 1)
        self.label.setText("")

    def show_count(self, done: int, total: int) -> None:
        # Qt's "%v of %m" has no thousands separators: "2816 of 6000" next to "2,753".
        set_progress(self.bar, done, max(total, 1), f"{done:,} of {total:,}")
