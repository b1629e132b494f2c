"""Training-dashboard widgets fed with demo events: what they hold, show and emit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage

from core.events import ClassMetrics, EpochEnded, StepEnded
from gui.demo.demo_data import (
    demo_class_names,
    demo_confusion,
    demo_epochs,
    demo_image,
    demo_predictions,
    demo_steps,
)
from gui.train.log_panel import MAX_LINES, LogPanel
from gui.widgets.class_metrics_table import ClassMetricsTable, SortRole
from gui.widgets.confusion_matrix import ConfusionMatrixView, CountRole, RowFractionRole
from gui.widgets.image_detail import ImageDetailDialog
from gui.widgets.metrics_plot import (
    LEGEND_CORNERS,
    MetricsPlots,
    format_learning_rate_ticks,
    legend_cost,
)
from gui.widgets.prediction_grid import (
    MAX_TEXT_WIDTH,
    RIGHT_COLOR,
    WRONG_COLOR,
    CorrectRole,
    PredictionGrid,
    SampleRole,
    numpy_to_qimage,
    tile_color,
    tile_is_correct,
)

NAMES = demo_class_names(5)


def _points(curve) -> int:
    x, _ = curve.getOriginalDataset()
    return 0 if x is None else len(x)


# -- metrics plots ----------------------------------------------------------------------------


@pytest.fixture
def plots(qtbot):
    widget = MetricsPlots()
    qtbot.addWidget(widget)
    return widget


def test_plots_are_named_for_the_dashboard(plots):
    from pyqtgraph import PlotWidget

    names = {w.objectName() for w in plots.findChildren(PlotWidget)}
    assert {"lossPlot", "accuracyPlot", "lrPlot"} <= names


def test_plots_hold_one_point_per_step_and_epoch_after_the_timer(qtbot, plots):
    for ev in demo_steps(epochs=3, steps_per_epoch=10):
        plots.add_step(ev)
    for ev in demo_epochs(NAMES, epochs=3):
        plots.add_epoch(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["val_acc"]) == 3, timeout=2000)
    assert _points(plots.curves["train_loss_raw"]) == 30
    assert _points(plots.curves["train_loss_smooth"]) == 30
    assert _points(plots.curves["lr"]) == 30
    # Steps and epochs share the x axis in epochs: the last step of epoch 0 is at 1.0.
    step_x, _ = plots.curves["train_loss_raw"].getOriginalDataset()
    epoch_x, val_acc = plots.curves["val_acc"].getOriginalDataset()
    assert step_x[9] == pytest.approx(1.0)
    assert list(epoch_x) == [1.0, 2.0, 3.0]
    assert 0 < val_acc[0] <= 100 and val_acc[0] > 1  # drawn in percent


def test_adding_does_not_redraw_until_the_timer_fires(plots):
    plots.add_epoch(demo_epochs(NAMES, epochs=1)[0])
    assert _points(plots.curves["val_loss"]) == 0  # only buffered so far


def test_smoothed_loss_follows_the_raw_loss(qtbot, plots):
    for i in range(200):
        plots.add_step(
            StepEnded(0, i, i, 200, loss=1.0 + (i % 2), lr=0.1, images_per_second=1, eta_seconds=0)
        )
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_smooth"]) == 200, timeout=2000)
    _, smooth = plots.curves["train_loss_smooth"].getOriginalDataset()
    assert smooth[0] == pytest.approx(1.0)  # debiased: no pull towards zero at the start
    assert smooth[-1] == pytest.approx(1.5, abs=0.05)


def test_five_thousand_signalled_steps_are_all_plotted(qtbot, plots):
    class Emitter(QObject):
        stepped = Signal(object)

    emitter = Emitter()
    emitter.stepped.connect(plots.add_step)
    for ev in demo_steps(epochs=50, steps_per_epoch=100):
        emitter.stepped.emit(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_raw"]) == 5000, timeout=5000)
    assert _points(plots.curves["lr"]) == 5000


def test_a_resumed_run_replaces_the_steps_it_repeats(qtbot, plots):
    for ev in demo_steps(epochs=2, steps_per_epoch=10):
        plots.add_step(ev)
    for ev in demo_steps(epochs=2, steps_per_epoch=10)[10:15]:  # resumed from epoch 1
        plots.add_step(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_raw"]) == 15, timeout=2000)
    x, _ = plots.curves["train_loss_raw"].getOriginalDataset()
    assert np.all(np.diff(x) > 0)


def test_clear_empties_the_current_run(qtbot, plots):
    for ev in demo_steps(epochs=1, steps_per_epoch=10):
        plots.add_step(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_raw"]) == 10, timeout=2000)
    plots.clear()
    qtbot.waitUntil(lambda: _points(plots.curves["train_loss_raw"]) == 0, timeout=2000)


def test_history_from_metrics_csv_rows(plots):
    rows = [
        {
            "epoch": "0",
            "train_loss": "1.2",
            "train_acc": "0.5",
            "val_loss": "1.1",
            "val_acc": "0.55",
            "lr": "0.01",
        },
        {
            "epoch": "1",
            "train_loss": "0.8",
            "train_acc": "0.7",
            "val_loss": "",
            "val_acc": "0.72",
            "lr": "0.005",
        },
    ]
    plots.set_history([(0.5, 1.3, 0.01), (1.0, 1.2, 0.01), (1.5, 1.0, 0.005)], rows)
    x, val_acc = plots.curves["val_acc"].getOriginalDataset()
    assert list(x) == [1.0, 2.0]
    assert list(val_acc) == pytest.approx([55.0, 72.0])
    _, val_loss = plots.curves["val_loss"].getOriginalDataset()
    assert np.isnan(val_loss[1])  # a missing value is a gap, not a crash
    assert _points(plots.curves["lr"]) == 3


def test_history_without_steps_plots_the_epoch_lr(plots):
    plots.set_history(
        [], [{"epoch": 0, "val_loss": 1, "val_acc": 0.5, "train_acc": 0.5, "lr": 0.1}]
    )
    _, lr = plots.curves["lr"].getOriginalDataset()
    assert list(lr) == [0.1]


def test_overlays_are_dashed_listed_in_the_legend_and_removable(plots):
    rows = [{"epoch": e, "val_loss": 1.0 / (e + 1), "val_acc": 0.5 + e / 10} for e in range(4)]
    plots.add_overlay("older run", rows, "m")
    loss_item, acc_item = plots.overlays["older run"]
    assert loss_item in plots.loss_plot.getPlotItem().listDataItems()
    assert _points(acc_item) == 4
    assert acc_item.opts["pen"].style() == Qt.PenStyle.DashLine
    legend_labels = [label.text for _, label in plots.loss_plot.getPlotItem().legend.items]
    assert "older run: val loss" in legend_labels
    plots.add_overlay("older run", rows[:2], "m")  # same name replaces
    assert len(plots.overlays) == 1
    plots.clear_overlays()
    assert plots.overlays == {}
    assert loss_item not in plots.loss_plot.getPlotItem().listDataItems()
    legend_labels = [label.text for _, label in plots.loss_plot.getPlotItem().legend.items]
    assert "older run: val loss" not in legend_labels


def _constant_lr_steps(lr: float, steps: int = 20) -> list[StepEnded]:
    return [StepEnded(0, i, i, steps, loss=2.0 - i / steps, lr=lr, images_per_second=1,
                      eta_seconds=0) for i in range(steps)]  # fmt: skip


@pytest.mark.parametrize("lr", [1e-4, 0.003, 0.1])
def test_a_constant_learning_rate_is_drawn_near_the_top_of_an_axis_from_zero(qtbot, plots, lr):
    for ev in _constant_lr_steps(lr):
        plots.add_step(ev)
    qtbot.waitUntil(lambda: _points(plots.curves["lr"]) == 20, timeout=2000)
    low, high = plots.lr_plot.getViewBox().viewRange()[1]
    assert low <= 0 < lr < high <= 1.15 * lr  # not an autoscaled +-0.5 band around the line
    assert low >= -0.11 * lr  # a little room under 0 for its tick label


def test_learning_rate_ticks_are_scientific_for_small_rates():
    assert format_learning_rate_ticks([0.0, 1e-4, 2e-4], 1e-4, 2.2e-4) == ["0", "1e-4", "2e-4"]
    assert format_learning_rate_ticks([5e-5, 1e-4, 1.5e-4], 5e-5, 1.6e-4) == [
        "5e-5",
        "1e-4",
        "1.5e-4",
    ]
    assert format_learning_rate_ticks([1e-6, 3e-6], 1e-6, 3.3e-6) == ["1e-6", "3e-6"]
    # From 0.002 up, decimals are short enough.
    assert format_learning_rate_ticks([0.0, 0.001, 0.002, 0.003], 0.001, 0.0033) == [
        "0",
        "0.001",
        "0.002",
        "0.003",
    ]
    assert format_learning_rate_ticks([0.05, 0.1], 0.05, 0.11) == ["0.05", "0.10"]


def test_the_lr_axis_labels_its_ticks_with_the_formatter(plots):
    axis = plots.lr_plot.getAxis("left")
    axis.setRange(0, 2.2e-4)
    assert axis.tickStrings([1e-4, 2e-4], 1.0, 1e-4) == ["1e-4", "2e-4"]


def test_legends_move_to_the_corner_that_hides_the_least_data(qtbot, plots):
    plots.resize(600, 700)
    plots.show()
    qtbot.waitExposed(plots)
    # One epoch: train and val accuracy sit at the right edge, at the top and at the bottom,
    # where a right-hand legend would hide them.
    for ev in _constant_lr_steps(0.01):
        plots.add_step(ev)
    first = demo_epochs(NAMES, epochs=1)[0]
    plots.add_epoch(dataclasses.replace(first, train_acc=0.8, val_acc=0.27))
    acc = plots.accuracy_plot
    qtbot.waitUntil(lambda: plots.legend_corner(acc)[0] > 0, timeout=3000)  # a left corner
    corner = plots.legend_corner(acc)
    assert legend_cost(acc, corner) == min(legend_cost(acc, c) for c in LEGEND_CORNERS)
    assert legend_cost(acc, corner) == 0
    assert legend_cost(acc, LEGEND_CORNERS[0]) > 0  # the old top-right place covered a point


# -- prediction grid --------------------------------------------------------------------------


@pytest.fixture
def grid(qtbot):
    widget = PredictionGrid()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    return widget


def test_grid_shows_one_tile_per_sample(grid):
    assert grid.objectName() == "predictionGrid"
    grid.set_predictions(demo_predictions(NAMES, count=30))
    assert grid.model().rowCount() == 30
    grid.set_predictions(demo_predictions(NAMES, count=12))
    assert grid.model().rowCount() == 12


def test_grid_filters_by_confusion_cell_and_mistakes(qtbot, grid):
    ev = demo_predictions(NAMES, epoch=0, count=60)
    grid.set_predictions(ev)
    wrong = [s for s in ev.samples if s.true_index != s.pred_index]
    true, pred = wrong[0].true_index, wrong[0].pred_index
    expected = sum(s.true_index == true and s.pred_index == pred for s in ev.samples)
    with qtbot.waitSignal(grid.filterChanged) as blocker:
        grid.set_filter(true, pred)
    assert grid.model().rowCount() == expected
    assert f"{expected} of 60" in blocker.args[0]
    assert NAMES[true] in blocker.args[0] and NAMES[pred] in blocker.args[0]
    shown = [grid.model().index(r, 0).data(SampleRole) for r in range(grid.model().rowCount())]
    assert all((s.true_index, s.pred_index) == (true, pred) for s in shown)

    grid.set_filter(None, None)
    grid.set_only_mistakes(True)
    assert grid.model().rowCount() == len(wrong)
    grid.set_filter(true, None)  # mistakes of one true class
    assert grid.model().rowCount() == sum(s.true_index == true for s in wrong)
    grid.clear_filter()
    assert grid.model().rowCount() == 60
    assert grid.filter_description() == "All 60 sampled images"


def test_filter_survives_a_new_epoch(grid):
    grid.set_predictions(demo_predictions(NAMES, epoch=0, count=40))
    grid.set_only_mistakes(True)
    ev = demo_predictions(NAMES, epoch=5, count=40)
    grid.set_predictions(ev)
    assert grid.model().rowCount() == sum(not tile_is_correct(s) for s in ev.samples)


def test_tile_colour_says_right_or_wrong(grid):
    ev = demo_predictions(NAMES, count=40)
    grid.set_predictions(ev)
    for row, sample in enumerate(ev.samples):
        index = grid.model().index(row, 0)
        correct = sample.true_index == sample.pred_index
        assert tile_is_correct(sample) == correct == index.data(CorrectRole)
    assert tile_color(True) == RIGHT_COLOR and tile_color(False) == WRONG_COLOR
    assert RIGHT_COLOR.green() > RIGHT_COLOR.red() and WRONG_COLOR.red() > WRONG_COLOR.green()


def test_numpy_image_is_copied_into_the_qimage():
    array = demo_image(2, 3, size=32)
    image = numpy_to_qimage(array)
    before = QColor(image.pixel(0, 0))
    array[:] = 0  # the sender may reuse its buffer
    assert QColor(image.pixel(0, 0)) == before
    assert (image.width(), image.height()) == (array.shape[1], array.shape[0])
    assert not numpy_to_qimage(np.zeros((8, 5), np.uint8)).isNull()  # grey works too


def test_click_selects_and_double_click_activates_the_sample(qtbot, grid):
    ev = demo_predictions(NAMES, count=10)
    grid.set_predictions(ev)
    grid.show()
    qtbot.waitExposed(grid)
    rect = grid.visualRect(grid.model().index(3, 0))
    # A real double-click starts with a press: the view ignores a lone double-click event.
    with qtbot.waitSignal(grid.sampleSelected):
        qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(grid.sampleActivated) as blocker:
        qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0] is ev.samples[3]


def test_scroll_position_is_kept_when_an_epoch_arrives(qtbot, grid):
    grid.set_predictions(demo_predictions(NAMES, epoch=0, count=120))
    grid.show()
    qtbot.waitExposed(grid)
    bar = grid.verticalScrollBar()
    assert bar.maximum() > 200
    bar.setValue(200)
    grid.set_predictions(demo_predictions(NAMES, epoch=1, count=120))
    assert bar.value() == 200
    grid.set_predictions(demo_predictions(NAMES, epoch=2, count=100))  # other size: reset path
    assert bar.value() == 200


FASHION = [
    "T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot",
]  # fmt: skip


def _tile_texts_fit(grid) -> bool:
    """Every predicted name plus "100%" fits a tile without eliding."""
    bold = QFont(grid.font())
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    tile = grid.visualRect(grid.model().index(0, 0)).width()
    need = max(metrics.horizontalAdvance(n) for n in FASHION) + metrics.horizontalAdvance("100%")
    return need < tile - 12


def test_tiles_are_wide_enough_for_ten_long_class_names(qtbot, grid):
    grid.resize(430, 500)
    grid.set_predictions(demo_predictions(FASHION, count=30))
    grid.show()
    qtbot.waitExposed(grid)
    assert _tile_texts_fit(grid)
    # The tiles share the row: no empty strip on the right.
    rects = [grid.visualRect(grid.model().index(r, 0)) for r in range(4)]
    in_first_row = [r for r in rects if r.top() == rects[0].top()]
    assert len(in_first_row) >= 2
    assert grid.viewport().width() - in_first_row[-1].right() < rects[0].width() // 2


def test_a_very_long_class_name_is_capped_and_in_the_tooltip(qtbot, grid):
    names = [*FASHION[:9], "great_crested_grebe_in_winter_plumage"]
    ev = demo_predictions(names, count=40)
    grid.set_predictions(ev)
    assert grid.delegate.min_width <= MAX_TEXT_WIDTH + 20
    row = next(i for i, s in enumerate(ev.samples) if s.pred_index == 9)
    tooltip = grid.model().index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "great_crested_grebe_in_winter_plumage" in tooltip
    assert names[ev.samples[row].true_index] in tooltip


def test_tiles_widen_with_the_view(qtbot, grid):
    grid.set_predictions(demo_predictions(NAMES, count=20))
    grid.resize(300, 400)
    grid.show()
    qtbot.waitExposed(grid)
    narrow = grid.visualRect(grid.model().index(0, 0)).width()
    grid.resize(330, 400)  # not room for another column: the tiles take the space
    qtbot.waitUntil(lambda: grid.visualRect(grid.model().index(0, 0)).width() > narrow)


# -- confusion matrix -------------------------------------------------------------------------


def test_confusion_matrix_cells_hold_counts_colours_and_tooltips(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.set_matrix([[8, 2], [1, 9]], ["cat", "dog"])
    assert view.objectName() == "confusionMatrix"
    model = view.model()
    assert (model.rowCount(), model.columnCount()) == (2, 2)
    assert model.index(0, 1).data() == "2"
    assert model.index(0, 1).data(CountRole) == 2
    assert model.index(0, 1).data(RowFractionRole) == pytest.approx(0.2)
    assert (
        model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
        == "true cat predicted as dog: 2 (20.0 % of cat)"
    )
    diagonal = model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole)
    mistake = model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole)
    assert diagonal.green() > diagonal.red() and mistake.red() > mistake.green()
    assert model.headerData(1, Qt.Orientation.Horizontal) == "dog"


def test_confusion_matrix_click_emits_true_and_predicted(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.set_matrix(demo_confusion(4, 0.7), NAMES[:4])
    view.resize(400, 400)
    view.show()
    qtbot.waitExposed(view)
    rect = view.table.visualRect(view.model().index(2, 1))
    with qtbot.waitSignal(view.cellClicked) as blocker:
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [2, 1]
    assert view.model().highlighted == (2, 1)


def test_confusion_matrix_takes_thirty_classes_with_long_names(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    names = demo_class_names(30)
    view.set_matrix(demo_confusion(30, 0.8), names)
    view.resize(900, 800)
    view.show()
    qtbot.waitExposed(view)
    header = view.table.horizontalHeader()
    assert header.height() > header.fontMetrics().height() * 3  # names are written upwards
    assert header.height() < 150  # but the longest one is elided
    assert not view.grab().isNull()


# -- class metrics table ----------------------------------------------------------------------


def _metric_rows(table: ClassMetricsTable) -> list[list]:
    model = table.model()
    return [[model.index(r, c).data(SortRole) for c in range(5)] for r in range(model.rowCount())]


def test_class_metrics_table_values_and_overall_row(qtbot):
    table = ClassMetricsTable()
    qtbot.addWidget(table)
    table.set_metrics(
        [ClassMetrics("cat", 0.9, 0.8, 0.85, 10), ClassMetrics("dog", 0.5, 0.6, 0.55, 30)]
    )
    assert table.objectName() == "classMetricsTable"
    model = table.model()
    assert model.rowCount() == 3
    assert model.index(0, 1).data() == "90.0 %"
    assert model.index(2, 0).data().startswith("overall")
    assert "macro average" in model.index(2, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert _metric_rows(table)[2][1:] == pytest.approx([0.7, 0.7, 0.7, 40])
    # As narrow as on the dashboard, the bold "overall" still fits its column.
    table.resize(400, 300)
    table.show()
    qtbot.waitExposed(table)
    bold = QFont(table.font())
    bold.setBold(True)
    label = model.index(2, 0).data()
    assert QFontMetrics(bold).horizontalAdvance(label) + 8 < table.columnWidth(0)


def test_class_metrics_sorting_keeps_overall_last(qtbot):
    table = ClassMetricsTable()
    qtbot.addWidget(table)
    table.set_metrics(demo_epochs(NAMES, epochs=1)[0].per_class)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        table.sortByColumn(3, order)
        rows = _metric_rows(table)
        assert rows[-1][0].startswith("overall")
        f1 = [r[3] for r in rows[:-1]]
        assert f1 == sorted(f1, reverse=order == Qt.SortOrder.DescendingOrder)


# -- log panel --------------------------------------------------------------------------------


def test_log_panel_is_bounded_and_colours_problems(qtbot):
    panel = LogPanel()
    qtbot.addWidget(panel)
    assert panel.objectName() == "logPanel" and panel.isReadOnly()
    panel.append("error", "disk <full>")
    assert "#c62828" in panel.document().toHtml().lower()
    assert "ERROR: disk <full>" in panel.toPlainText()
    for i in range(MAX_LINES + 100):
        panel.append("info", f"line {i}")
    assert panel.blockCount() == MAX_LINES
    assert panel.toPlainText().rstrip().endswith(f"line {MAX_LINES + 99}")


def test_log_panel_follows_the_end_unless_scrolled_up(qtbot):
    panel = LogPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 150)
    panel.show()
    qtbot.waitExposed(panel)
    for i in range(200):
        panel.append("info", f"line {i}")
    bar = panel.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0
    bar.setValue(10)  # the user reads something older
    panel.append("warning", "new")
    assert bar.value() == 10
    bar.setValue(bar.maximum())
    panel.append("info", "newer")
    assert bar.value() == bar.maximum()


# -- image detail -----------------------------------------------------------------------------


def test_image_detail_from_array(qtbot):
    dialog = ImageDetailDialog()
    qtbot.addWidget(dialog)
    dialog.show_prediction(
        demo_image(1), "img_1.jpg", [("dog", 0.7), ("cat", 0.2)], true_label="cat"
    )
    assert dialog.top_k_rows() == [("dog", pytest.approx(0.7)), ("cat", pytest.approx(0.2))]
    assert "wrong" in dialog.verdict.text()
    assert not dialog.image.source.isNull()


def test_image_detail_reads_a_file_with_its_exif_orientation(qtbot, tmp_path):
    from PIL import Image

    path = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.new("RGB", (40, 20), "red").save(path, exif=exif)
    dialog = ImageDetailDialog()
    qtbot.addWidget(dialog)
    dialog.show_prediction(str(path), "sideways", [("cat", 0.9)], true_label="cat")
    assert (dialog.image.source.width(), dialog.image.source.height()) == (20, 40)
    assert "right" in dialog.verdict.text()


def test_image_detail_reports_an_unreadable_file(qtbot, tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"not an image")
    dialog = ImageDetailDialog()
    qtbot.addWidget(dialog)
    dialog.show_prediction(path, "broken", [("cat", 0.9)])
    assert dialog.image.source.isNull()
    assert "Cannot show" in dialog.image.text()


def test_image_detail_for_a_training_sample(qtbot):
    ev = demo_predictions(NAMES, count=5)
    dialog = ImageDetailDialog()
    qtbot.addWidget(dialog)
    dialog.show_sample(ev.samples[0], NAMES)  # its path does not exist: the thumbnail is used
    assert dialog.top_k_rows()[0][0] == NAMES[ev.samples[0].top_k[0][0]]
    assert dialog.path_label.toolTip() == ev.samples[0].path


# -- demos and imports ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "gui.widgets.metrics_plot",
        "gui.widgets.prediction_grid",
        "gui.widgets.confusion_matrix",
        "gui.widgets.class_metrics_table",
        "gui.train.log_panel",
        "gui.widgets.image_detail",
    ],
)
def test_each_demo_builds_and_renders(qtbot, module, tmp_path):
    import importlib

    widget = importlib.import_module(module)._demo()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.wait(50)
    image: QImage = widget.grab().toImage()
    assert image.width() > 100 and image.height() > 100
    assert image.save(str(tmp_path / f"{module.rsplit('.', 1)[-1]}.png"))


def test_epoch_events_from_demo_data_are_consistent():
    for ev in demo_epochs(NAMES, epochs=3):
        assert isinstance(ev, EpochEnded)
        assert len(ev.confusion) == len(NAMES) == len(ev.per_class)
        assert ev.val_acc == pytest.approx(np.trace(ev.confusion) / np.sum(ev.confusion))
