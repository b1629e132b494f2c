"""Results model, filter model, thumbnail cache and results view, without torch."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QAbstractItemModelTester

from core.infer.results import ClassifiedImage
from gui.classify.results_filter import ResultsFilterModel
from gui.classify.results_filter_bar import ResultsFilterBar
from gui.classify.results_model import (
    UNSURE,
    ConfidenceRole,
    LabelRole,
    ResultRole,
    ResultsModel,
    UnsureRole,
    name_key,
)
from gui.classify.results_view import ResultsView
from gui.widgets.thumbnail_cache import ThumbnailCache, decode_thumbnail
from tests.core.image_factory import make_exif_rotated_jpeg, make_image, write_all_corrupt

CLASSES = ["cat", "dog", "bird", "fish", "frog"]


def fake_results(n: int, seed: int = 0, folder: str = "/photos") -> list[ClassifiedImage]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = rng.choice(CLASSES)
        conf = round(rng.random(), 3)  # rounded: plenty of ties to exercise tie-breaking
        others = [c for c in CLASSES if c != label]
        top_k = ((label, conf),) + tuple((c, (1 - conf) / 4) for c in others)
        name = f"IMG_{rng.randrange(10**5):05d}_{i}.jpg"
        out.append(ClassifiedImage(f"{folder}/d{i % 7}/{name}", label, conf, top_k))
    return out


def expected_order(
    results, key="name", descending=False, label=None, low=0.0, high=1.0, unsure=0.5
):
    def accept(r):
        if not low <= r.confidence <= high:
            return False
        if label == UNSURE:
            return r.confidence < unsure
        return label is None or r.label == label

    arrival = {r.path: i for i, r in enumerate(results)}
    rows = [r for r in results if accept(r)]

    def sort_key(r):
        if key == "name":
            return (name_key(r.path), arrival[r.path])
        return (r.confidence, name_key(r.path), arrival[r.path])

    rows.sort(key=sort_key, reverse=descending)
    return [r.path for r in rows]


def shown_paths(proxy: ResultsFilterModel) -> list[str]:
    return [r.path for r in proxy.shown_results()]


@pytest.mark.parametrize(
    "key,descending,label,low,high",
    [
        ("name", False, None, 0.0, 1.0),
        ("name", True, "dog", 0.0, 1.0),
        ("confidence", False, None, 0.2, 0.7),
        ("confidence", True, UNSURE, 0.0, 1.0),
    ],
)
def test_streamed_rows_land_where_a_full_sort_puts_them(qapp, key, descending, label, low, high):
    results = fake_results(600, seed=3)
    source = ResultsModel()
    proxy = ResultsFilterModel(source)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)
    proxy.set_sort(key, descending)
    proxy.set_class_filter(label)
    proxy.set_confidence_range(low, high)
    for start in range(0, len(results), 37):  # batches as the worker sends them
        source.append_results(results[start : start + 37])
    want = expected_order(results, key, descending, label, low, high)
    assert shown_paths(proxy) == want
    proxy.invalidate()  # a full rebuild agrees with the incremental inserts
    assert shown_paths(proxy) == want
    for row in (0, len(want) // 2, len(want) - 1):
        src = proxy.mapToSource(proxy.index(row))
        assert src.data(ResultRole).path == want[row]
        assert proxy.mapFromSource(src).row() == row


@pytest.mark.parametrize("descending", [False, True])
def test_a_batch_landing_everywhere_is_one_insert_and_one_reorder_and_keeps_the_selection(
    qtbot, descending
):
    # A batch of 600 results from seven folders, shown by name, lands in hundreds of
    # places: an insert for each made the view lay itself out hundreds of times a batch.
    results = fake_results(900, seed=5)
    source = ResultsModel()
    proxy = ResultsFilterModel(source)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)
    proxy.set_sort("name", descending)
    source.append_results(results[:300])
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    picked = proxy.index(123)
    chosen = picked.data(ResultRole).path
    view.selectionModel().select(picked, view.selectionModel().SelectionFlag.Select)
    view.setCurrentIndex(picked)
    inserts, reorders = [], []
    proxy.rowsInserted.connect(lambda *args: inserts.append(args))
    proxy.layoutChanged.connect(lambda *args: reorders.append(args))

    source.append_results(results[300:])

    assert (len(inserts), len(reorders)) == (1, 1)
    assert shown_paths(proxy) == expected_order(results, descending=descending)
    selected = view.selectionModel().selectedIndexes()
    assert [index.data(ResultRole).path for index in selected] == [chosen]
    assert view.currentIndex().data(ResultRole).path == chosen
    assert view.currentIndex().row() != 123  # it moved with its result


def test_a_batch_into_many_rows_works_out_only_its_own_sort_keys(qapp):
    # The rows already shown keep their keys: working them all out again for each batch took
    # ~45 ms a batch at 50,000 rows sorted by name.
    results = fake_results(20_000, seed=9)
    source = ResultsModel()
    proxy = ResultsFilterModel(source)
    source.append_results(results[:19_400])
    asked = []
    name_key_of = proxy._key

    def counted(row: int):
        asked.append(row)
        return name_key_of(row)

    proxy._key = counted
    source.append_results(results[19_400:])  # 600 rows, from every folder
    assert sorted(asked) == list(range(19_400, 20_000))
    assert shown_paths(proxy) == expected_order(results)


def test_filters_and_roles(qapp):
    results = fake_results(200, seed=1)
    source = ResultsModel()
    proxy = ResultsFilterModel(source)
    source.set_class_names(CLASSES)
    source.append_results(results)
    source.append_results(results[:10])  # repeated paths are not added twice
    assert source.rowCount() == 200
    assert proxy.rowCount() == 200

    proxy.set_class_filter("cat")
    assert {r.label for r in proxy.shown_results()} == {"cat"}
    assert proxy.rowCount() == sum(r.label == "cat" for r in results)
    proxy.set_class_filter(None)
    proxy.set_confidence_range(0.25, 0.5)
    assert all(0.25 <= r.confidence <= 0.5 for r in proxy.shown_results())

    proxy.set_confidence_range(0.0, 1.0)
    proxy.set_class_filter(UNSURE)
    assert proxy.rowCount() == sum(r.confidence < 0.5 for r in results)
    source.set_unsure_threshold(0.8)  # the unsure filter follows the threshold
    assert proxy.rowCount() == sum(r.confidence < 0.8 for r in results) == source.unsure_count()

    index = proxy.index(0)
    result = index.data(ResultRole)
    assert index.data(LabelRole) == result.label
    assert index.data(ConfidenceRole) == result.confidence
    assert index.data(UnsureRole) is True
    assert index.data(Qt.ItemDataRole.DisplayRole) == os.path.basename(result.path)
    assert result.path in index.data(Qt.ItemDataRole.ToolTipRole)
    assert source.label_counts() == {
        c: sum(r.label == c for r in results) for c in CLASSES if any(r.label == c for r in results)
    }


def test_unsure_threshold_change_repaints_every_row(qapp, qtbot):
    source = ResultsModel()
    source.append_results(fake_results(50))
    with qtbot.waitSignal(source.dataChanged) as blocker:
        source.set_unsure_threshold(0.9)
    top_left, bottom_right = blocker.args[0], blocker.args[1]
    assert (top_left.row(), bottom_right.row()) == (0, 49)


def test_50000_rows_sort_and_filter_correctly(qapp):
    # Their speed is measured in benchmarks/gui_responsiveness.py (no wall-clock asserts here).
    results = fake_results(50_000, seed=7)
    source = ResultsModel()
    proxy = ResultsFilterModel(source)
    for start in range(0, len(results), 500):
        source.append_results(results[start : start + 500])
    sample = range(0, 50_000, 499)
    proxy.set_sort("confidence", False)
    ascending = [proxy.result(row).confidence for row in sample]
    assert ascending == sorted(ascending)
    proxy.set_sort("confidence", True)
    descending = [proxy.result(row).confidence for row in sample]
    assert descending == sorted(descending, reverse=True)
    proxy.set_class_filter("cat")
    assert proxy.rowCount() == sum(r.label == "cat" for r in results)
    assert {proxy.result(row).label for row in range(0, proxy.rowCount(), 97)} == {"cat"}
    proxy.set_class_filter(None)
    assert proxy.rowCount() == 50_000


# -- thumbnails ---------------------------------------------------------------------------


def wait_for_thumbnails(qtbot, cache: ThumbnailCache, paths: list[str]) -> None:
    qtbot.waitUntil(lambda: all(cache.get(p) is not None for p in paths), timeout=10000)


def test_thumbnails_decode_off_thread_scaled_and_oriented(qapp, qtbot, tmp_path):
    big = str(make_image(tmp_path / "big.jpg", size=(800, 400)))
    small = str(make_image(tmp_path / "small.png", size=(20, 10)))
    rotated = str(make_exif_rotated_jpeg(tmp_path / "rotated.jpg", size=(200, 100), orientation=6))
    bad = [str(p) for p in write_all_corrupt(tmp_path / "bad")]
    cache = ThumbnailCache(size=64)
    assert cache.get(big) is None  # a miss queues a decode and answers at once
    wait_for_thumbnails(qtbot, cache, [big, small, rotated, *bad])
    assert (cache.get(big).width(), cache.get(big).height()) == (64, 32)
    assert (cache.get(small).width(), cache.get(small).height()) == (20, 10)  # never enlarged
    assert (cache.get(rotated).width(), cache.get(rotated).height()) == (32, 64)  # EXIF applied
    unreadable = [p for p in bad if "zero_bytes" in p or "not_an_image" in p]
    for path in unreadable:
        assert cache.get(path).isNull()  # remembered as failed, not retried forever
    # (a truncated file shows what could be decoded, like an image viewer does)
    assert cache.decoded_count == 3 + len(bad)
    assert cache.shutdown()


def test_thumbnail_cache_is_bounded(qapp, qtbot, tmp_path):
    paths = [
        str(make_image(tmp_path / f"{i}.png", size=(40, 40), color=(i * 20, 0, 0)))
        for i in range(8)
    ]
    cache = ThumbnailCache(size=32, max_images=5)
    for path in paths:
        cache.get(path)
    qtbot.waitUntil(lambda: cache.decoded_count == len(paths), timeout=10000)
    assert len(cache) == 5
    assert cache.cached_bytes == sum(cache.peek(p).sizeInBytes() for p in paths if p in cache)
    cache.shutdown()


def test_model_asks_for_thumbnails_only_when_painted(qapp, qtbot, tmp_path):
    paths = [str(make_image(tmp_path / f"img{i:02d}.png", size=(60, 40))) for i in range(12)]
    cache = ThumbnailCache(size=48)
    source = ResultsModel(cache)
    source.append_results([ClassifiedImage(p, "cat", 0.9, (("cat", 0.9),)) for p in paths])
    assert cache.pending_count == 0 and cache.decoded_count == 0  # nothing decoded up front
    index = source.index(3)
    assert index.data(Qt.ItemDataRole.DecorationRole) is None  # placeholder meanwhile
    with qtbot.waitSignal(source.dataChanged, timeout=10000) as blocker:
        pass
    assert blocker.args[0].row() == 3
    image = index.data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(image, QImage) and image.width() == 48
    cache.shutdown()


def test_view_of_50000_rows_decodes_only_visible_tiles(qapp, qtbot, tmp_path):
    # 50,000 rows pointing at 20 real files: the view must ask only for what it paints.
    files = [str(make_image(tmp_path / f"f{i}.jpg", size=(300, 200))) for i in range(20)]
    results = [
        ClassifiedImage(
            files[i % 20] + f"?{i}" if i >= 20 else files[i], CLASSES[i % 5], (i % 100) / 100, ()
        )
        for i in range(50_000)
    ]
    cache = ThumbnailCache()
    source = ResultsModel(cache)
    proxy = ResultsFilterModel(source)
    view = ResultsView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.resize(900, 700)
    view.show()
    started = time.perf_counter()
    source.append_results(results)
    qtbot.waitExposed(view)
    view.grab()  # forces layout + paint
    first_paint = time.perf_counter() - started
    visible = len(view.visible_rows())
    requested = cache.pending_count + cache.decoded_count
    print(
        f"\n  50,000 rows: first paint {first_paint * 1000:.0f} ms, {visible} tiles visible, {requested} decodes queued"
    )
    assert 0 < visible < 100
    assert requested <= visible + 10
    # The view lays out 50,000 tiles in batches (one per event-loop turn): let it finish.
    last = proxy.index(49_999, 0)
    qtbot.waitUntil(lambda: view.visualRect(last).isValid(), timeout=20_000)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    view.grab()
    assert view.visible_rows().stop == 50_000
    cache.shutdown()


def test_filter_bar_drives_the_filter_model(qapp, qtbot):
    results = fake_results(300, seed=5)
    source = ResultsModel()
    source.set_class_names(CLASSES)
    proxy = ResultsFilterModel(source)
    bar = ResultsFilterBar(source, proxy)
    qtbot.addWidget(bar)
    source.append_results(results)
    bar.refresh()
    combo = bar.class_combo
    assert combo.itemText(0) == "All classes (300)"
    assert combo.findData(UNSURE) == combo.count() - 1
    combo.setCurrentIndex(combo.findData("fish"))
    assert proxy.class_filter == "fish"
    assert bar.count_label.text() == f"Showing {proxy.rowCount()} of 300"
    bar.min_spin.setValue(80)
    bar.max_spin.setValue(40)  # below the minimum: the minimum follows
    assert bar.min_spin.value() == 40
    assert proxy.confidence_range == (0.4, 0.4)
    bar.sort_combo.setCurrentIndex(3)
    assert (proxy.sort_key, proxy.descending) == ("confidence", True)
    bar.unsure_spin.setValue(70)
    assert source.unsure_threshold == pytest.approx(0.7)


def test_decode_thumbnail_of_missing_file_is_null(tmp_path, qapp):
    assert decode_thumbnail(str(tmp_path / "nope.jpg"), 64).isNull()


def test_empty_models(qapp):
    proxy = ResultsFilterModel(ResultsModel())
    assert proxy.rowCount() == 0
    assert proxy.shown_results() == []
    assert not proxy.mapToSource(proxy.index(0)).isValid()
    assert proxy.rowCount(proxy.index(0)) == 0
    assert proxy.data(QModelIndex()) is None
    assert np.isclose(ResultsModel().unsure_threshold, 0.5)


def test_name_sort_is_natural_numbers_by_value(qapp):
    names = ["img_10.jpg", "IMG_2.jpg", "img_1.jpg", "img_02.jpg", "a10b2.jpg", "a10b10.jpg"]
    source = ResultsModel()
    proxy = ResultsFilterModel(source)
    source.set_class_names(CLASSES)
    # Streamed in two batches: rows arriving later are inserted with the same key.
    made = [ClassifiedImage(f"/p/{n}", CLASSES[0], 0.9, ((CLASSES[0], 0.9),)) for n in names]
    source.append_results(made[:3])
    source.append_results(made[3:])
    shown = [Path(p).name for p in shown_paths(proxy)]
    assert shown == [
        "a10b2.jpg",
        "a10b10.jpg",
        "img_1.jpg",
        "img_02.jpg",
        "IMG_2.jpg",
        "img_10.jpg",
    ]


def test_most_useful_to_label_puts_the_smallest_top_two_margin_first(qapp):
    def result(name: str, first: float, second: float) -> ClassifiedImage:
        top = (("cat", first), ("dog", second), ("bird", 1.0 - first - second))
        return ClassifiedImage(f"/p/{name}.jpg", "cat", first, top)

    source = ResultsModel()
    proxy = ResultsFilterModel(source)
    proxy.set_sort("margin", False)
    # "torn" is less confident than "sure_ish" but "close" hesitates most between two classes.
    source.append_results([result("sure", 0.95, 0.03), result("close", 0.48, 0.46)])
    source.append_results([result("torn", 0.40, 0.20), result("sure_ish", 0.70, 0.25)])
    assert [os.path.basename(p) for p in shown_paths(proxy)] == [
        "close.jpg",
        "torn.jpg",
        "sure_ish.jpg",
        "sure.jpg",
    ]
    proxy.invalidate()  # the incremental inserts agree with a full rebuild
    assert shown_paths(proxy)[0].endswith("close.jpg")
