"""One finished (or running) run folder, shown in full: curves, confusion matrix, per-class
metrics and settings; or several runs compared on the same curves. The data comes from
gui.runs.run_records.load_run."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.runs.run_records import (
    RunData,
    compare_labels,
    dataset_name,
    duration_text,
    end_reason,
    format_percent,
    number,
    parse_time,
    status_style,
)
from gui.runs.settings_table import RunSettingsTable
from gui.runs.test_view import TestView
from gui.widgets.class_metrics_table import ClassMetricsTable
from gui.widgets.confusion_matrix import ConfusionMatrixView
from gui.widgets.metrics_plot import MetricsPlots
from gui.widgets.roles import set_role

# Compared runs: distinct hues that stay apart when drawn dashed on white.
# fmt: off
COMPARE_COLORS = [
    (31, 119, 180), (230, 110, 0), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (90, 90, 90), (188, 189, 34), (23, 190, 207),
]
# fmt: on
MAX_CLASS_TABLE_HEIGHT = 280  # px; more classes scroll, the matrix keeps the rest


class RunDetail(QWidget):
    """Header (name, status, summary, why it ended) over tabs: Curves, Confusion matrix,
    Per class, Settings. `show_runs([one])` shows a run; `show_runs([a, b, ...])` compares."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runDetail")
        self.runs: list[RunData] = []

        self.title = QLabel(objectName="runTitle")
        self.title.setProperty("role", "heading")
        title_font = QFont(self.title.font())  # also without the app's style sheet
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.25)
        self.title.setFont(title_font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_chip = QLabel(objectName="runStatus")
        self.summary_label = QLabel(objectName="runSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.reason_label = QLabel(objectName="runReason")
        self.reason_label.setWordWrap(True)
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # Own names: the dashboard's lossPlot/confusionMatrix are the automation contract.
        self.plots = MetricsPlots(name_prefix="run")
        self.confusion = ConfusionMatrixView(name_prefix="run")
        self.class_table = ClassMetricsTable()
        self.evaluation_note = QLabel(wordWrap=True)
        self.evaluation_note.setProperty("role", "muted")
        self.settings_table = RunSettingsTable()
        self.tabs = QTabWidget(objectName="runTabs")
        self.tabs.setDocumentMode(True)
        self.no_curves_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.no_curves_label.setProperty("role", "muted")
        self.curves_stack = QStackedWidget()
        self.curves_stack.addWidget(self.plots)
        self.curves_stack.addWidget(self.no_curves_label)
        self.tabs.addTab(self.curves_stack, "Curves")
        # The table under the matrix takes the height of its rows (up to a limit), the matrix
        # the rest: the detail pane is narrow, side by side both would be cramped.
        evaluation = QWidget()
        eval_layout = QVBoxLayout(evaluation)
        eval_layout.setContentsMargins(4, 6, 4, 4)
        eval_layout.addWidget(self.evaluation_note)
        eval_layout.addWidget(self.confusion, 1)
        eval_layout.addWidget(self.class_table)
        self.tabs.addTab(evaluation, "Evaluation")
        self.test_view = TestView()
        self.tabs.addTab(self.test_view, "Test")
        self.tabs.addTab(self.settings_table, "Settings")

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.status_chip, 0, Qt.AlignmentFlag.AlignTop)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.tabs, 1)

        self.placeholder = QLabel(
            "Select a run to see its curves, confusion matrix and settings.\n"
            "Select several (Ctrl+click) to compare them.",
            alignment=Qt.AlignmentFlag.AlignCenter,
        )
        self.placeholder.setProperty("role", "muted")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self._main_curves_in_legend = True

    # -- public ------------------------------------------------------------------------------

    def clear(self) -> None:
        self.runs = []
        self.plots.clear_overlays()
        self.plots.set_history([], [])
        self.stack.setCurrentWidget(self.placeholder)

    def show_runs(self, runs: list[RunData]) -> None:
        """One run: its full detail. Several: the first is the one whose evaluation is shown,
        all of them are overlaid on the curves."""
        if not runs:
            self.clear()
            return
        if [r.run_dir for r in runs] != [r.run_dir for r in self.runs]:
            # Another run: forget the zoom of the previous one (a refresh of the same run keeps it).
            for plot in (self.plots.loss_plot, self.plots.accuracy_plot, self.plots.lr_plot):
                plot.enableAutoRange()
        self.runs = list(runs)
        self.stack.setCurrentIndex(1)
        self.plots.clear_overlays()
        has_curves = any(run.metrics or run.steps for run in runs)
        self.curves_stack.setCurrentIndex(0 if has_curves else 1)
        self.no_curves_label.setText(
            "No curves: this run has no readable metrics.csv."
            if runs[0].summary.get("status") == "unreadable"
            else "No curves yet: the run ended (or is still preparing) before its first step."
        )
        if len(runs) == 1:
            self._show_single(runs[0])
        else:
            self._show_comparison(runs)
        names = compare_labels(runs) if len(runs) > 1 else []
        self._show_evaluation(runs[0], names[0] if names else None)
        self.test_view.show_run(runs[0].run_dir)
        self.settings_table.show_runs(runs, names)

    # -- one run -----------------------------------------------------------------------------

    def _show_single(self, run: RunData) -> None:
        s = run.summary
        self.title.setText(run.name)
        self.title.setToolTip(run.run_dir)
        self.summary_label.setToolTip("")
        word, color = status_style(s.get("status"))
        self._set_chip(word, color)
        self.summary_label.setText(self._summary_html(run))
        problems = " ".join(run.problems)
        self.reason_label.setText(" ".join(t for t in (end_reason(s), problems) if t))
        set_role(self.reason_label, "")
        self.reason_label.setStyleSheet(f"color: {color};")  # the status's own colour (data)
        self.reason_label.setVisible(bool(self.reason_label.text()))
        self._set_main_curves_in_legend(True)
        self.plots.lr_plot.show()
        self.plots.set_history(run.steps, run.metrics)

    def _summary_html(self, run: RunData) -> str:
        s = run.summary
        if s.get("status") == "unreadable":
            return (
                "Loupe cannot read this folder's run summary (run.json): open the folder to look."
            )
        classes = s.get("class_names") if isinstance(s.get("class_names"), list) else []
        name = dataset_name(run) or "unknown dataset"
        parts = [f"<b>{html.escape(name)}</b>"]
        if classes:
            parts[0] += f" ({len(classes)} classes)"
        for key in ("arch", "device"):
            if s.get(key):
                parts.append(html.escape(str(s[key])))
        if number(s.get("image_size")):
            parts.append(f"{int(number(s['image_size']))} px")
        best = format_percent(s.get("best_val_acc"))
        best_epoch = number(s.get("best_epoch"))
        line2 = [f"best val accuracy <b>{best}</b>"]
        if best_epoch is not None:
            line2[0] += f" (epoch {int(best_epoch) + 1})"
        if number(s.get("test_acc")) is not None:
            line2.append(f"test accuracy <b>{format_percent(s.get('test_acc'))}</b>")
        done, total = number(s.get("epochs_completed")), number(s.get("epochs"))
        if done is not None:
            line2.append(f"{int(done)} of {int(total)} epochs" if total else f"{int(done)} epochs")
        started = parse_time(s.get("started"))
        if started:
            line2.append(f"started {started:%Y-%m-%d %H:%M}")
        if duration_text(s):
            line2.append(duration_text(s))
        return " · ".join(parts) + "<br>" + " · ".join(line2)

    def _set_chip(self, word: str, color: str) -> None:
        self.status_chip.setText(word)
        self.status_chip.setStyleSheet(
            f"color: white; background: {color}; border-radius: 8px; padding: 2px 10px;"
            "font-weight: 600;"
        )

    # -- several runs ------------------------------------------------------------------------

    def _show_comparison(self, runs: list[RunData]) -> None:
        self.title.setText(f"Comparing {len(runs)} runs")
        self.title.setToolTip("")
        self._set_chip("compare", "#52606D")
        labels = compare_labels(runs)
        # The legend names runs by their short labels; this list pairs each with its folder.
        lines = []
        for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
            rgb = COMPARE_COLORS[i % len(COMPARE_COLORS)]
            word, color = status_style(run.summary.get("status"))
            lines.append(
                f"<span style='color: rgb{rgb};'>&#9644;</span> <b>{html.escape(label)}</b>: "
                f"<b>{format_percent(run.summary.get('best_val_acc'))}</b> "
                f"<span style='color: {color};'>{word}</span> "
                f"<span style='color: #52606D;'>· {html.escape(run.name)}</span>"
            )
        self.summary_label.setText("<br>".join(lines))
        self.summary_label.setToolTip("\n".join(run.run_dir for run in runs))
        self.reason_label.setText(
            "Dashed: validation loss and accuracy of each run. "
            f"The evaluation tab shows {labels[0]}."
        )
        self.reason_label.setStyleSheet("")
        set_role(self.reason_label, "muted")
        self.reason_label.show()
        # Only the overlays are drawn: the current run's own curves would be unnamed twins.
        self.plots.set_history([], [])
        self._set_main_curves_in_legend(False)
        self.plots.lr_plot.hide()
        for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
            self.plots.add_overlay(label, run.metrics, COMPARE_COLORS[i % len(COMPARE_COLORS)])

    def _set_main_curves_in_legend(self, shown: bool) -> None:
        if shown == self._main_curves_in_legend:
            return
        self._main_curves_in_legend = shown
        for plot in (self.plots.loss_plot, self.plots.accuracy_plot):
            legend = plot.getPlotItem().legend
            for curve in self.plots.curves.values():
                if curve.name() is None or curve.getViewBox() is not plot.getViewBox():
                    continue
                if shown:
                    legend.addItem(curve, curve.name())
                else:
                    legend.removeItem(curve)

    # -- tabs --------------------------------------------------------------------------------

    def _show_evaluation(self, run: RunData, compared_as: str | None) -> None:
        """`compared_as`: the run's label when several runs are compared."""
        self.confusion.set_matrix(run.confusion, run.class_names)
        self.class_table.set_metrics(run.per_class)
        rows = self.class_table.model().rowCount()
        row_height = self.class_table.verticalHeader().defaultSectionSize()
        header_height = self.class_table.horizontalHeader().sizeHint().height()
        needed = header_height + rows * row_height + 2 * self.class_table.frameWidth() + 2
        self.class_table.setMaximumHeight(min(needed, MAX_CLASS_TABLE_HEIGHT))
        if run.eval_epoch is None:
            note = "No evaluation yet: the run has not finished an epoch."
        else:
            note = f"Validation images after epoch {run.eval_epoch + 1}"
            best = number(run.summary.get("best_epoch"))
            if best is not None and int(best) != run.eval_epoch:
                note += f" (the saved model is the best one, from epoch {int(best) + 1})"
            note += "."
        if compared_as:
            note = f"{compared_as}: {note}"
        self.evaluation_note.setText(note)
        has_eval = run.eval_epoch is not None
        self.confusion.setVisible(has_eval)
        self.class_table.setVisible(has_eval)
