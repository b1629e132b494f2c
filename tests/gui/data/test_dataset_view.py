"""DatasetView: scanning a generated dataset in the background and showing what it found."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

import gui.data.dataset_scan as dataset_scan_module
from gui.data.dataset_report_text import plain_reason
from gui.data.dataset_view import DatasetView
from gui.jobs import live_threads
from tests.core.image_factory import make_image, make_shapes_dataset, write_all_corrupt
from tests.gui.helpers import folder_drop

SCAN_TIMEOUT_MS = 15_000


@pytest.fixture
def view(qtbot):
    widget = DatasetView()
    qtbot.addWidget(widget)
    widget.resize(1000, 650)
    yield widget
    widget.shutdown()


def type_path_and_enter(qtbot, view: DatasetView, path: Path) -> None:
    edit = view.findChild(QLineEdit, "datasetPathEdit")
    assert edit is not None
    edit.setText(str(path))
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_loads_flat_dataset_typed_into_path_edit(qtbot, view, tmp_path):
    root = make_shapes_dataset(tmp_path / "shapes", per_class=[12, 10, 11], size=24)
    with qtbot.waitSignal(view.datasetLoaded, timeout=SCAN_TIMEOUT_MS) as loaded:
        type_path_and_enter(qtbot, view, root)
    path, report = loaded.args
    assert Path(path) == root.resolve()
    assert view.current_path() == path
    assert report.class_names == ["circle", "square", "triangle"]
    # Flat layout: one bar per class with every readable image.
    assert view.chart.class_names() == ["circle", "square", "triangle"]
    assert view.chart.series() == {"images": [12, 10, 11]}
    summary = view.summary_label.text()
    assert "33 images in 3 classes" in summary
    assert "all images 24×24" in summary
    assert "hold out 20%" in summary
    assert view.recent()[0] == path
    # Four samples per class (fewer only when a class has fewer images), loaded in a pool.
    assert len(view.samples.sample_paths()) == 12
    qtbot.waitUntil(lambda: view.samples.loaded_count() == 12, timeout=SCAN_TIMEOUT_MS)
    tiles = view.samples.findChildren(QLabel, "sampleTile")
    assert len(tiles) == 12
    assert all(t.pixmap() is not None and not t.pixmap().isNull() for t in tiles)
    assert "No problems found" in view.issues.toPlainText()


def test_pre_split_dataset_is_stacked_per_split(qtbot, view, tmp_path):
    root = make_shapes_dataset(
        tmp_path / "split", per_class=8, size=20, split=True, val_per_class=3, test_per_class=2
    )
    with qtbot.waitSignal(view.datasetLoaded, timeout=SCAN_TIMEOUT_MS):
        view.load(str(root))
    assert view.chart.series() == {"train": [8] * 3, "val": [3] * 3, "test": [2] * 3}
    assert view.chart.totals() == [13, 13, 13]
    assert "already split into train/val/test" in view.summary_label.text()


def test_unreadable_files_are_listed_with_reasons_in_plain_words(qtbot, view, tmp_path):
    root = make_shapes_dataset(tmp_path / "shapes", per_class=5, size=16)
    expected = write_all_corrupt(root / "circle")
    with qtbot.waitSignal(view.datasetLoaded, timeout=SCAN_TIMEOUT_MS) as loaded:
        view.load(str(root))
    report = loaded.args[1]
    assert len(report.skipped) == len(expected)
    assert view.chart.series() == {"images": [5, 5, 5]}  # corrupt files are not counted
    text = view.issues.toPlainText()
    assert f"{len(expected)} files could not be read and will be skipped:" in text
    for path, reason in expected.items():
        line = next(line for line in text.splitlines() if path.name in line)
        assert f"circle/{path.name}" in line.replace("\\", "/")
        assert plain_reason(reason) in line
    assert "cut off (truncated)" in text
    assert "empty (0 bytes)" in text
    # Samples never pick a file that cannot be read.
    assert not any(Path(p) in expected for p in view.samples.sample_paths())


def test_missing_folder_shows_readable_error(qtbot, view, tmp_path):
    missing = tmp_path / "no such folder"
    with qtbot.waitSignal(view.datasetFailed, timeout=SCAN_TIMEOUT_MS) as failed:
        type_path_and_enter(qtbot, view, missing)
    message = failed.args[0]
    assert "not found" in message and str(missing) in message
    assert view.error_label.isVisibleTo(view)
    assert view.error_label.text() == message
    assert view.current_path() == ""
    assert view.recent() == []


def test_folder_without_class_folders_explains_the_layout(qtbot, view, tmp_path):
    make_image(tmp_path / "loose" / "a.png")
    with qtbot.waitSignal(view.datasetFailed, timeout=SCAN_TIMEOUT_MS) as failed:
        view.load(str(tmp_path / "loose"))
    assert "No class folders" in failed.args[0]


def test_scan_runs_off_the_gui_thread(qtbot, view, tmp_path, monkeypatch):
    scan_threads: list[int] = []
    real_scan = dataset_scan_module.scan_dataset

    def recording_scan(*args, **kwargs):
        scan_threads.append(threading.get_ident())
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(dataset_scan_module, "scan_dataset", recording_scan)
    root = make_shapes_dataset(tmp_path / "shapes", per_class=3, size=16)
    with qtbot.waitSignal(view.datasetLoaded, timeout=SCAN_TIMEOUT_MS):
        view.load(str(root))
    assert scan_threads and scan_threads[0] != threading.get_ident()


def test_newer_load_wins_over_a_slow_older_scan(qtbot, view, tmp_path, monkeypatch):
    release = threading.Event()
    real_scan = dataset_scan_module.scan_dataset

    def scan(path, *args, **kwargs):
        if "slow" in path:
            release.wait(5)
        return real_scan(path, *args, **kwargs)

    monkeypatch.setattr(dataset_scan_module, "scan_dataset", scan)
    slow = make_shapes_dataset(tmp_path / "slow", classes=("circle", "square"), per_class=3)
    fast = make_shapes_dataset(tmp_path / "fast", per_class=2)
    loaded: list[str] = []
    view.datasetLoaded.connect(lambda path, _report: loaded.append(path))
    view.load(str(slow))
    with qtbot.waitSignal(view.datasetLoaded, timeout=SCAN_TIMEOUT_MS):
        view.load(str(fast))
    release.set()
    qtbot.waitUntil(lambda: live_threads() == 0, timeout=SCAN_TIMEOUT_MS)
    qtbot.wait(50)  # any late signal of the slow scan would have arrived by now
    assert loaded == [str(fast.resolve())]
    assert view.chart.class_names() == ["circle", "square", "triangle"]


def test_recent_folders_round_trip_and_menu(qtbot, view, tmp_path):
    view.set_recent(["/a", "/b", "/a", "", "/c"])
    assert view.recent() == ["/a", "/b", "/c"]
    titles = [a.text() for a in view.recent_menu.actions() if not a.isSeparator()]
    assert titles[:3] == ["/a", "/b", "/c"]
    root = make_shapes_dataset(tmp_path / "shapes", per_class=2, size=16)
    with qtbot.waitSignal(view.datasetLoaded, timeout=SCAN_TIMEOUT_MS):
        view.load(str(root))
    assert view.recent()[:2] == [str(root.resolve()), "/a"]


def test_dropping_a_folder_loads_it(qtbot, view, tmp_path):
    root = make_shapes_dataset(tmp_path / "dropped", per_class=2, size=16)
    event = folder_drop(root)
    with qtbot.waitSignal(view.datasetLoaded, timeout=SCAN_TIMEOUT_MS):
        view.dropEvent(event)
    assert view.current_path() == str(root.resolve())


def test_empty_path_asks_for_a_folder(qtbot, view):
    type_path_and_enter(qtbot, view, Path(" "))
    assert "choose a dataset folder" in view.error_label.text().lower()
    assert not view.is_scanning()


def test_chart_turns_long_class_names_upright(qtbot):
    from gui.data.class_bar_chart import ClassBarChart

    chart = ClassBarChart()
    qtbot.addWidget(chart)
    chart.resize(500, 300)
    chart.show()
    short = ["a", "b", "c"]
    chart.set_counts(short, {"images": {"a": 1, "b": 2, "c": 3}})
    qtbot.waitUntil(lambda: chart.plot_widget.getPlotItem().getViewBox().width() > 100)
    chart._update_tick_labels()
    assert chart.upright_labels() == []
    long_names = [f"a very long class name number {i}" for i in range(40)]
    chart.set_counts(long_names, {"images": dict.fromkeys(long_names, 5)})
    labels = chart.upright_labels()
    assert 0 < len(labels) <= 40
    assert labels[0].startswith("a very long") and all(
        len(t) <= len(long_names[0]) + 1 for t in labels
    )
    assert chart.totals() == [5] * 40


def test_deleting_the_view_mid_scan_does_not_abort(qtbot, tmp_path, monkeypatch):
    release, finished = threading.Event(), threading.Event()
    real_scan = dataset_scan_module.scan_dataset

    def slow_scan(*args, **kwargs):
        release.wait(5)
        try:
            return real_scan(*args, **kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(dataset_scan_module, "scan_dataset", slow_scan)
    root = make_shapes_dataset(tmp_path / "shapes", per_class=2, size=16)
    doomed = DatasetView()
    doomed.load(str(root))
    doomed.deleteLater()
    del doomed  # no reference to the view or its thread is left in this test
    qtbot.wait(20)
    # Without a keeper the running QThread would be destroyed here: "QThread: Destroyed
    # while thread is still running" and the whole test process aborts.
    release.set()
    assert finished.wait(SCAN_TIMEOUT_MS / 1000)
    qtbot.waitUntil(lambda: live_threads() == 0, timeout=SCAN_TIMEOUT_MS)


def test_shutdown_waits_past_its_timeout_for_a_slow_scan(qtbot, monkeypatch, tmp_path):
    """A QThread destroyed while running aborts the process: shutdown never gives up on one."""
    real_scan = dataset_scan_module.scan_dataset

    def slow_scan(*args, **kwargs):
        threading.Event().wait(0.5)  # a slow disk: no progress call, so cancel cannot stop it
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(dataset_scan_module, "scan_dataset", slow_scan)
    data = make_shapes_dataset(tmp_path / "data", per_class=3, size=24)
    widget = DatasetView()
    qtbot.addWidget(widget)
    widget.load(str(data))
    threads = [widget.scan_runner.thread]
    assert threads and threads[0].isRunning()
    widget.shutdown(timeout_ms=10)
    assert all(t.isFinished() for t in threads)
    assert not widget.is_scanning()
