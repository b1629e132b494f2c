"""Confusion matrix, per-class table, log panel, image detail and the demos, fed with demo events."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QImage

from core.events import ClassMetrics, EpochEnded
from gui.demo.demo_data import (
    demo_class_names,
    demo_confusion,
    demo_epochs,
    demo_image,
    demo_predictions,
)
from gui.train.log_panel import MAX_LINES, LogPanel
from gui.widgets.class_metrics_table import ClassMetricsTable, SortRole
from gui.widgets.confusion_matrix import ConfusionMatrixView, CountRole, RowFractionRole
from gui.widgets.image_detail import ImageDetailDialog

NAMES = demo_class_names(5)


def _points(curve) -> int:
    x, _ = curve.getOriginalDataset()
    return 0 if x is None else len(x)


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
    # The clicked cell is framed in near-black; the cell next to it is not.
    image = view.table.viewport().grab().toImage()
    left_edge = image.pixelColor(rect.left() + 1, rect.center().y())
    beside = image.pixelColor(rect.left() - 4, rect.center().y())
    assert max(left_edge.red(), left_edge.green(), left_edge.blue()) < 60
    assert max(beside.red(), beside.green(), beside.blue()) > 100


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
    [  # metrics_plot's demo is a page demo: tests/gui/test_page_demos.py
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
