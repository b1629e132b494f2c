"""The Data page: choose a dataset folder, scan it off the GUI thread, and show what Loupe
found: images per class, a few samples of each, and the files it cannot use, in plain words.

The scan (core.data.datasets.scan_dataset) checks every image's header, which takes seconds to
minutes on a big or slow disk, so it runs as a gui.jobs job (gui.data.dataset_scan); a
newer load cancels an older one."""

from __future__ import annotations

import os

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.data.datasets import DatasetReport, DatasetScan
from gui.data.class_bar_chart import ClassBarChart
from gui.data.data_page_model import DataPageModel, clean_path
from gui.data.dataset_report_text import issues_html, summary_text
from gui.data.dataset_samples import SampleGrid
from gui.data.dataset_scan import scan_job
from gui.data.empty_state import DataEmptyState
from gui.jobs import JobEnded, JobProgress, JobRunner
from gui.widgets.accessible import describe, label_for
from gui.widgets.progress_bars import set_progress

EMPTY_HINT = (
    "<p style='font-size:12pt'><b>Choose a dataset folder</b></p>"
    "<p>Put the images of each class in their own subfolder, for example<br>"
    "<code>photos/cats/…</code> and <code>photos/dogs/…</code>, then choose <code>photos</code>"
    " with <b>Browse…</b>, type its path above, or drop the folder here.</p>"
    "<p style='color:#52606D'>Already split? A folder with <code>train/</code> and "
    "<code>val/</code> (and optionally <code>test/</code>) subfolders works too.</p>"
)


class DatasetView(QWidget):
    """Data page. `load(path)` scans in the background; `datasetLoaded(path, report)` or
    `datasetFailed(message)` tell the rest of the window."""

    scanStarted = Signal(str)  # the folder being checked
    datasetLoaded = Signal(str, object)  # root folder, core.data.datasets.DatasetReport
    datasetFailed = Signal(str)  # a readable message
    retrainRequested = Signal()  # the dataset check moved files: a new run, same settings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.page = DataPageModel()
        self.scan_runner = JobRunner(self, name="scan")
        self.scan_runner.event.connect(self._on_scan_event)
        self._build()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ---- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("datasetPathEdit")
        self.path_edit.setPlaceholderText("Dataset folder (one subfolder per class)")
        # As tall as the buttons beside it (style.qss makes buttons taller than line edits).
        self.path_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.path_edit.returnPressed.connect(self._on_path_edit_return_pressed)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setObjectName("browseDatasetButton")
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.recent_button = QToolButton()
        self.recent_button.setObjectName("recentDatasetsButton")
        self.recent_button.setText("Recent ▾")
        # The text carries the arrow: Qt's own indicator overlaps the text under style.qss.
        self.recent_button.setProperty("role", "menu-text")  # style.qss hides Qt's arrow
        self.recent_button.setToolTip("Folders you opened before")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_menu = QMenu(self.recent_button)
        self.recent_button.setMenu(self.recent_menu)
        self._rebuild_recent_menu()
        path_row = QHBoxLayout()
        path_label = QLabel("Dataset folder:")
        label_for(path_label, self.path_edit)
        path_row.addWidget(path_label)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        path_row.addWidget(self.recent_button)
        self.check_button = QPushButton("Check dataset…")
        self.check_button.setObjectName("checkDatasetButton")
        self.check_button.setToolTip(
            "Find duplicates, train/test leaks and probably wrong labels, and fix them"
        )
        self.check_button.setEnabled(False)
        self.check_button.clicked.connect(self._on_check_clicked)
        path_row.addWidget(self.check_button)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("scanProgress")
        describe(self.progress_bar, "Dataset check progress")
        self.progress_bar.setVisible(False)
        self.error_label = self._label("datasetErrorLabel", role="error")
        self.summary_label = self._label("datasetSummaryLabel")

        self.chart = ClassBarChart()
        self.chart.setObjectName("classChart")
        self.issues = QTextBrowser()
        self.issues.setObjectName("datasetIssues")
        self.issues.setOpenLinks(False)
        describe(self.issues, "Problems and warnings")
        self.samples = SampleGrid()
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self._card("Images per class", self.chart))
        left.addWidget(self._card("Problems and warnings", self.issues))
        left.setStretchFactor(0, 5)
        left.setStretchFactor(1, 4)
        results = QSplitter(Qt.Orientation.Horizontal)
        results.addWidget(left)
        results.addWidget(self._card("Sample images", self.samples))
        # Extra width goes to the chart; the samples need only their fixed grid.
        results.setStretchFactor(0, 1)
        results.setStretchFactor(1, 0)
        results.setChildrenCollapsible(False)
        self._results_splitter = results
        self._results_sized = False

        empty = self.empty_state = DataEmptyState(EMPTY_HINT)  # sampleRequested: the window
        self.pages = QStackedWidget()
        self.pages.addWidget(empty)
        self.pages.addWidget(results)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(6)
        layout.addLayout(path_row)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.error_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.pages, 1)

    @staticmethod
    def _label(name: str, role: str | None = None) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if role:
            label.setProperty("role", role)
        label.setVisible(False)
        return label

    @staticmethod
    def _card(title: str, content: QWidget) -> QFrame:
        card = QFrame()
        card.setProperty("role", "card")
        heading = QLabel(title)
        heading.setProperty("role", "card-heading")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(heading)
        layout.addWidget(content, 1)
        return card

    # ---- public API -------------------------------------------------------------------------

    def load(self, path: str) -> None:
        """Scan `path` in the background; a scan still running for another folder is cancelled."""
        path = clean_path(path)
        self.path_edit.setText(path)
        if not path:
            self._show_error("Type or choose a dataset folder first.")
            return
        self.scan_runner.cancel()
        self.page.scan_started()
        self.scan_runner.start(scan_job(path, self.page.val_split, self.page.seed))
        self.scanStarted.emit(path)
        self.error_label.setVisible(False)
        self.progress_bar.setRange(0, 0)  # busy until the walk has counted the files
        self.progress_bar.setFormat("Looking for images…")
        self.progress_bar.setVisible(True)

    def reload(self) -> None:
        if self.path_edit.text().strip():
            self.load(self.path_edit.text())

    def files_changed(self, folders: list[str]) -> bool:
        """Another page placed or removed files in `folders`: scan the dataset on show again
        when they are part of it (its counts and samples are stale). True when it does."""
        if not self.page.changed_by(folders):
            return False
        scanning = os.path.normpath(clean_path(self.path_edit.text()) or ".")
        if self.is_scanning() and scanning != os.path.normpath(self.current_path()):
            return False  # another folder is being opened: the old one's counts go anyway
        self.load(self.current_path())
        return True

    def set_scan_options(self, val_split: float, seed: int) -> None:
        """Validation share and seed for the next scan (the Train page's settings). The
        summary of a flat dataset on show follows at once: training scans again anyway."""
        scan = self.page.scan
        if self.page.set_scan_options(val_split, seed) and scan is not None:
            self.summary_label.setText(summary_text(scan.report, self.page.val_split))

    def current_path(self) -> str:
        """The folder of the dataset on show ('' before one loaded)."""
        return self.page.current_path()

    def report(self) -> DatasetReport | None:
        return self.page.scan.report if self.page.scan else None

    def scan(self) -> DatasetScan | None:
        return self.page.scan

    def is_scanning(self) -> bool:
        return self.scan_runner.is_running()

    def recent(self) -> list[str]:
        return list(self.page.recent)

    def set_recent(self, paths: list[str]) -> None:
        self.page.set_recent(paths)
        self._rebuild_recent_menu()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel scans and thumbnail jobs and wait for their threads: call before the
        window closes (a QThread destroyed while running aborts the process)."""
        self.scan_runner.cancel()
        self.scan_runner.shutdown(timeout_ms)  # cancelled: ends after its current image
        self.samples.shutdown()
        dialog = getattr(self, "doctor_dialog", None)
        if dialog is not None:  # a check still running: its process ends with it
            dialog.runner.cancel()
            dialog.runner.shutdown(timeout_ms)
            dialog.strips.stop(wait_s=timeout_ms / 1000)

    # ---- scan results -----------------------------------------------------------------------

    def _on_scan_event(self, event: object) -> None:
        if isinstance(event, JobProgress):
            set_progress(
                self.progress_bar,
                event.done,
                max(event.total, 1),
                f"Checking images: {event.done:,} of {event.total:,}",
            )
        elif isinstance(event, JobEnded):
            if event.status == "finished":
                self._on_scan_succeeded(event.result)
            elif event.status == "failed":
                self._on_scan_failed(event.message)

    def _on_check_clicked(self) -> None:
        from gui.data.doctor_review import DoctorDialog

        dialog = DoctorDialog(self.current_path(), self.page.val_split, self.page.seed, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.retrainRequested.connect(self._on_doctor_retrain_requested)
        dialog.finished.connect(self._on_doctor_finished)
        self.doctor_dialog = dialog
        dialog.show()
        dialog.start()

    def _on_doctor_finished(self) -> None:
        dialog = getattr(self, "doctor_dialog", None)
        self.doctor_dialog = None
        if dialog is not None and dialog.model is not None and dialog.model.changed:
            self.reload()  # files moved: the counts and samples on show are stale

    def _on_doctor_retrain_requested(self) -> None:
        if self.doctor_dialog is not None:
            self.doctor_dialog.close()
        self.retrainRequested.emit()

    def _on_scan_succeeded(self, scan: DatasetScan) -> None:
        self.progress_bar.setVisible(False)
        self.check_button.setEnabled(True)
        self.page.scan_succeeded(scan)
        report = scan.report
        self.path_edit.setText(report.root)
        self._show_report(scan)
        self._rebuild_recent_menu()
        self.datasetLoaded.emit(report.root, report)

    def _on_scan_failed(self, message: str) -> None:
        self.page.scan_failed()
        self.check_button.setEnabled(False)
        self.samples.clear()
        self.chart.clear()
        self.pages.setCurrentIndex(0)
        self.summary_label.setVisible(False)
        self._show_error(message)
        self.datasetFailed.emit(message)

    def _show_report(self, scan: DatasetScan) -> None:
        report = scan.report
        self.error_label.setVisible(False)
        self.summary_label.setText(summary_text(report, self.page.shown_val_split))
        self.summary_label.setVisible(True)
        if report.layout == "split":
            self.chart.set_counts(report.class_names, report.counts)
        else:  # the held-out share is Loupe's choice, not a property of the data
            totals = {
                c: sum(report.counts[s][c] for s in report.counts) for c in report.class_names
            }
            self.chart.set_counts(report.class_names, {"images": totals})
        self.issues.setHtml(issues_html(report))
        self.samples.set_samples(
            report.class_names, [*scan.train, *scan.val, *scan.test], self.chart.totals()
        )
        if not self._results_sized:  # first results: give the chart all but the samples' width
            self._results_sized = True
            side = self.samples.minimumWidth() + 20
            self._results_splitter.setSizes([max(self.width() - side, side), side])
        focus = QApplication.focusWidget()
        leaving = focus is not None and self.empty_state.isAncestorOf(focus)
        self.pages.setCurrentIndex(1)
        if leaving:  # "Try a sample dataset" had the keyboard: it goes, the focus must not
            self.check_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_error(self, message: str) -> None:
        self.progress_bar.setVisible(False)
        self.error_label.setText(message)
        self.error_label.setVisible(True)

    # ---- recent folders, browse, drag and drop ----------------------------------------------

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.page.recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _checked=False, p=path: self.load(p))
        if self.page.recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list").triggered.connect(lambda: self.set_recent([]))
        self.recent_button.setEnabled(bool(self.page.recent))

    def _on_path_edit_return_pressed(self) -> None:
        self.load(self.path_edit.text())

    def _on_browse_clicked(self) -> None:
        start = self.path_edit.text().strip() or (self.page.recent[0] if self.page.recent else "")
        if not os.path.isdir(start):
            start = QStandardPaths.writableLocation(
                QStandardPaths.StandardLocation.PicturesLocation
            )
        path = QFileDialog.getExistingDirectory(self, "Choose the dataset folder", start)
        if path:
            self.load(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.load(urls[0].toLocalFile())


if __name__ == "__main__":
    import sys

    from gui.demo.demo_app import run_demo
    from gui.demo.page_demos import dataset_view_demo

    run_demo(
        lambda: dataset_view_demo(sys.argv[1] if len(sys.argv) > 1 else None), "DatasetView demo"
    )
