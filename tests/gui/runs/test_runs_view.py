"""RunsView: run folders written to disk (by hand in the format core.train.loop writes, and one
real tiny training run) are listed, shown, compared, resumed and deleted."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from gui.runs.runs_table import COLUMNS
from gui.runs.runs_view import RunsView
from gui.runs.workspace_watcher import RUNNING_POLL_MS
from tests.gui.runs.runs_helpers import (
    column_texts,
    curve_x,
    dirs_of,
    write_run,
)


def test_lists_each_run_with_accuracy_status_and_date_newest_first(view, tmp_path):
    write_run(tmp_path, "a", started="2024-05-01T10:00:00", val_accs=(0.5, 0.9))
    write_run(tmp_path, "b", started="2024-05-03T09:30:00", status="stopped", val_accs=(0.4,))
    write_run(tmp_path, "c", started="2024-05-02T08:00:00", status="failed", val_accs=())
    write_run(tmp_path, "d", started="2024-05-04T08:00:00", status="early_stopped")
    (tmp_path / "not a run").mkdir()
    (tmp_path / "notes.txt").write_text("hello")

    with_signal = []
    view.workspaceChanged.connect(with_signal.append)
    view.set_workspace(str(tmp_path))

    assert with_signal == [str(tmp_path)]
    assert view.workspace_edit.text() == str(tmp_path)
    assert column_texts(view, "date") == [
        "2024-05-04 08:00",
        "2024-05-03 09:30",
        "2024-05-02 08:00",
        "2024-05-01 10:00",
    ]
    assert column_texts(view, "status") == ["early stopped", "stopped", "failed", "completed"]
    assert column_texts(view, "best val acc") == ["90.0 %", "40.0 %", "—", "90.0 %"]
    assert column_texts(view, "epochs") == ["3 / 3", "1 / 1", "0 / 0", "2 / 2"]
    assert set(column_texts(view, "dataset")) == {"animals"}
    assert set(column_texts(view, "architecture")) == {"resnet18"}
    dataset_col = COLUMNS.index("dataset")
    assert view.proxy.index(0, dataset_col).data(Qt.ItemDataRole.ToolTipRole) == "/data/animals"
    status_col = COLUMNS.index("status")
    colors = {
        view.proxy.index(r, status_col).data(Qt.ItemDataRole.ForegroundRole).name()
        for r in range(4)
    }
    assert len(colors) == 4  # each outcome has its own colour
    assert not view.empty_label.isVisible()


def test_accuracy_column_sorts_by_number_not_text(view, tmp_path):
    for name, acc in (("low", 0.095), ("mid", 0.1), ("high", 0.9)):
        write_run(tmp_path, name, val_accs=(acc,))
    view.set_workspace(str(tmp_path))
    view.table.sortByColumn(COLUMNS.index("best val acc"), Qt.SortOrder.AscendingOrder)
    assert column_texts(view, "best val acc") == ["9.5 %", "10.0 %", "90.0 %"]


def test_selecting_a_run_shows_one_point_per_epoch_and_its_evaluation(view, qtbot, tmp_path):
    run = write_run(tmp_path, "run-1", val_accs=(0.5, 0.7, 0.9), steps_per_epoch=4)
    view.set_workspace(str(tmp_path))
    view.select_runs([str(run)])

    assert view.selected_run_dirs() == [str(run)]
    assert curve_x(view, "val_acc") == [1.0, 2.0, 3.0]
    assert curve_x(view, "val_loss") == [1.0, 2.0, 3.0]
    _x, acc = view.detail.plots.curves["val_acc"].getOriginalDataset()
    assert list(acc) == pytest.approx([50.0, 70.0, 90.0])
    # 4 steps per epoch: the last step of epoch 0 sits at x = 1.0, next to its validation point.
    steps_x = curve_x(view, "train_loss_raw")
    assert len(steps_x) == 12 and steps_x[3] == pytest.approx(1.0) and steps_x[-1] == 3.0
    assert view.detail.confusion.model().rowCount() == 3
    assert view.detail.class_table.model().rowCount() == 4  # three classes + overall
    assert "epoch 3" in view.detail.evaluation_note.text()
    assert view.detail.title.text() == "run-1"
    assert view.detail.status_chip.text() == "completed"
    assert view.detail.reason_label.text() == "Reason for run-1."
    assert "90.0 %" in view.detail.summary_label.text()
    settings = view.detail.settings_table
    rows = {
        settings.item(r, 0).text(): settings.item(r, 1).text() for r in range(settings.rowCount())
    }
    assert rows["batch size"] == "16"
    assert rows["learning rate"] == "0.001"
    assert rows["augment: horizontal flip"] == "yes"


def test_selecting_two_runs_compares_them_without_a_button(view, tmp_path):
    a = write_run(tmp_path, "run-a", started="2024-05-01T10:00:00", val_accs=(0.5, 0.6))
    b = write_run(
        tmp_path,
        "run-b",
        started="2024-05-02T10:00:00",
        val_accs=(0.4, 0.7, 0.8),
        arch="mobilenet_v3_small",
    )
    view.set_workspace(str(tmp_path))
    view.select_runs([str(a)])
    # "Compare" did nothing that selecting did not already do: it is gone, a hint says how.
    assert view.findChild(QPushButton, "compareButton") is None
    assert not view.compare_hint.isHidden() and "Ctrl+click" in view.compare_hint.text()

    view.select_runs([str(a), str(b)])
    plots = view.detail.plots
    # Named by start (the runs span two days) and architecture; folder names are too long.
    a_label, b_label = "2024-05-01 10:00 resnet18", "2024-05-02 10:00 mobilenet_v3_small"
    assert set(plots.overlays) == {a_label, b_label}
    loss_item, acc_item = plots.overlays[b_label]
    assert list(acc_item.getOriginalDataset()[0]) == [1.0, 2.0, 3.0]
    assert curve_x(view, "val_acc") == []  # only the named overlays are drawn
    legend = plots.accuracy_plot.getPlotItem().legend
    labels = [label.text for _sample, label in legend.items]
    assert labels == [a_label, b_label]  # the axis says "accuracy"
    assert view.detail.title.text() == "Comparing 2 runs"
    summary = view.detail.summary_label.text()
    assert "run-a" in summary and "run-b" in summary  # the full folder names, next to the labels
    assert str(a) in view.detail.summary_label.toolTip()
    # The settings tab lists what differs first.
    settings = view.detail.settings_table
    assert settings.columnCount() == 3
    assert settings.horizontalHeaderItem(1).text() == a_label
    assert settings.horizontalHeaderItem(1).toolTip() == str(a)
    assert settings.item(0, 0).text() == "run folder" or settings.item(0, 0).font().bold()
    assert settings.item(0, 0).font().bold()

    view.select_runs([str(b)])
    assert plots.overlays == {}
    assert curve_x(view, "val_acc") == [1.0, 2.0, 3.0]
    labels = [label.text for _sample, label in legend.items]
    assert labels == ["train acc", "val acc"]


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")  # pyqtgraph, on NaN-only data
def test_malformed_run_folders_are_listed_as_unreadable_and_never_crash(view, tmp_path):
    bad_json = tmp_path / "bad-json"
    bad_json.mkdir()
    (bad_json / "run.json").write_text("{ not json")
    a_list = tmp_path / "a-list"
    a_list.mkdir()
    (a_list / "run.json").write_text("[1, 2, 3]")
    no_summary = tmp_path / "no-summary"
    no_summary.mkdir()
    (no_summary / "metrics.csv").write_text("epoch,val_acc\n0,0.5\n")
    weird = write_run(
        tmp_path,
        "weird-types",
        best_val_acc="high",
        epochs=None,
        epochs_completed="many",
        started=5,
        status=None,
        class_names="x",
    )
    (weird / "metrics.csv").write_text("epoch,val_acc,val_loss\n0,abc,1\n1,0.5,0.9,extra\nzz,1,1\n")
    (weird / "steps.csv").write_text("garbage\n\x00\x01")
    (weird / "evaluation.json").write_text('{"confusion": [[1, 2], [3]], "class_names": 5}')
    (weird / "config.json").write_text("[]")
    binary = write_run(tmp_path, "binary-files")
    (binary / "metrics.csv").write_bytes(b"\xff\xfe\x00garbage")
    (binary / "evaluation.json").write_bytes(b"\xff\xfe")

    view.set_workspace(str(tmp_path))
    statuses = dict(
        zip([Path(d).name for d in map(str, dirs_of(view))], column_texts(view, "status"))
    )
    assert statuses["bad-json"] == "unreadable"
    assert statuses["a-list"] == "unreadable"
    assert statuses["no-summary"] == "unreadable"
    assert statuses["weird-types"] == "unknown"
    assert statuses["binary-files"] == "completed"
    for run in dirs_of(view):
        view.select_runs([run])
        view.detail.grab()  # paints every part of the detail
        assert view.selected_run_dirs() == [run]
    view.select_runs(dirs_of(view))  # comparing them all works too
    view.detail.grab()
    assert not view.resume_button.isEnabled()


def test_missing_workspace_and_empty_workspace_explain_themselves(view, tmp_path):
    view.set_workspace(str(tmp_path / "nowhere"))
    assert view.proxy.rowCount() == 0
    assert "does not exist" in view.empty_label.text()
    view.set_workspace(str(tmp_path))
    assert "No runs here yet" in view.empty_label.text()
    assert view.detail.stack.currentWidget() is view.detail.placeholder


def test_new_runs_appear_by_themselves_and_a_running_run_updates(view, qtbot, tmp_path):
    view.set_workspace(str(tmp_path))
    live = write_run(
        tmp_path,
        "live",
        status="running",
        val_accs=(0.5,),
        epochs=5,
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=5000)  # the watcher saw it
    assert column_texts(view, "status") == ["running"]
    view.select_runs([str(live)])
    assert curve_x(view, "val_acc") == [1.0]
    assert not view.delete_button.isEnabled()  # not while it trains

    # The next epoch lands on disk as core.files.atomic writes it (temp file, then rename): the
    # watcher notices well before the slow poll would; the selection stays, the curves grow.
    metrics = (live / "metrics.csv").read_text() + "1,0.5,0.6,0.6,0.65,0.001,1.5\n"
    summary = json.loads((live / "run.json").read_text())
    summary.update(epochs_completed=2, updated="2024-05-01T10:05:00", best_val_acc=0.65)
    for name, text in (("metrics.csv", metrics), ("run.json", json.dumps(summary))):
        (live / f".{name}.tmp").write_text(text)
        os.replace(live / f".{name}.tmp", live / name)
    qtbot.waitUntil(lambda: curve_x(view, "val_acc") == [1.0, 2.0], timeout=RUNNING_POLL_MS - 500)
    assert view.selected_run_dirs() == [str(live)]
    assert column_texts(view, "best val acc") == ["65.0 %"]


def test_a_run_whose_process_died_is_interrupted_and_resumable(view, tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    run = write_run(
        tmp_path,
        "crashed",
        status="running",
        host=socket.gethostname(),
        pid=int(dead.stdout),
        val_accs=(0.5,),
        epochs=4,
        # Left over from the session before it was resumed: not why it ended this time.
        reason="Finished 1 epochs; best validation accuracy 50.0%.",
        finished="2024-05-01T09:00:00",
        updated="2024-05-01T10:30:00",
    )
    view.set_workspace(str(tmp_path))
    assert column_texts(view, "status") == ["interrupted"]
    view.select_runs([str(run)])
    assert view.resume_button.isEnabled()
    assert view.detail.status_chip.text() == "interrupted"
    assert "crashed" in view.detail.reason_label.text()
    assert "Finished" not in view.detail.reason_label.text()
    assert "ran for 30 min" in view.detail.summary_label.text()


def test_a_running_run_shows_no_stale_reason(view, tmp_path):
    run = write_run(
        tmp_path,
        "again",
        status="running",
        host=socket.gethostname(),
        pid=os.getpid(),
        reason="Finished 3 epochs.",
    )
    view.set_workspace(str(tmp_path))
    view.select_runs([str(run)])
    assert view.detail.status_chip.text() == "running"
    assert view.detail.reason_label.isHidden()
    assert "so far" in view.detail.summary_label.text()


def test_showing_the_page_finds_a_workspace_created_meanwhile(view, qtbot, tmp_path):
    workspace = tmp_path / "runs"  # the default workspace does not exist before the first run
    view.set_workspace(str(workspace))
    view.hide()
    write_run(workspace, "first")
    view.show()
    qtbot.waitExposed(view)
    assert column_texts(view, "status") == ["completed"]


def test_a_real_training_run_is_read(view, tmp_path):
    pytest.importorskip("torch")
    from core.train.config import TrainConfig
    from core.train.loop import fit
    from tests.core.image_factory import make_shapes_dataset

    data = make_shapes_dataset(tmp_path / "shapes", size=32)
    out = tmp_path / "ws" / "shapes-run"
    events = list(fit(TrainConfig(str(data), str(out), epochs=2, batch_size=16)))
    finished = events[-1]
    assert finished.status == "completed", finished.reason

    view.set_workspace(str(tmp_path / "ws"))
    assert column_texts(view, "status") == ["completed"]
    assert column_texts(view, "epochs") == ["2 / 2"]
    assert column_texts(view, "dataset") == ["shapes"]
    # "33.3 % · guessing" when a tiny run stays at chance: the figure comes first either way.
    (accuracy,) = column_texts(view, "best val acc")
    assert accuracy.startswith(f"{100 * finished.best_val_acc:.1f} %")
    view.select_runs([str(out)])
    assert curve_x(view, "val_acc") == [1.0, 2.0]
    assert curve_x(view, "train_loss_raw")[-1] == pytest.approx(2.0)
    assert view.detail.confusion.model().rowCount() == 3
    assert view.detail.class_table.model().rowCount() == 4
    assert view.resume_button.isEnabled() and view.classify_button.isEnabled()
    assert finished.reason in view.detail.reason_label.text()


def test_demo_shows_made_up_runs(qtbot):
    from gui.demo.page_demos import runs_view_demo

    demo = runs_view_demo()
    qtbot.addWidget(demo)
    assert column_texts(demo, "status") == ["failed", "stopped", "completed"]
    demo.select_runs([demo.table.run_dir_at(1), demo.table.run_dir_at(2)])
    assert len(demo.detail.plots.overlays) == 2


def test_every_column_is_whole_in_a_1440_px_window(qtbot, tmp_path):
    """Status, the last column, was cut off: the table gets the width its columns need."""
    for i, status in enumerate(("completed", "stopped", "early_stopped", "failed")):
        write_run(
            tmp_path,
            f"run{i}",
            status=status,
            dataset="/data/a_rather_long_dataset_folder_name",
            arch="efficientnet_b0",
        )
    widget = RunsView()
    qtbot.addWidget(widget)
    widget.resize(1300, 800)  # the page in a 1440 x 900 window, beside the navigation
    widget.set_workspace(str(tmp_path))
    widget.show()
    qtbot.waitExposed(widget)
    table, header = widget.table, widget.table.horizontalHeader()
    last = len(COLUMNS) - 1
    needed = max(table.sizeHintForColumn(last), header.sectionSizeHint(last))
    right_edge = header.sectionViewportPosition(last) + needed
    assert right_edge <= table.viewport().width()
    assert widget.detail.width() >= 450  # the curves keep room
