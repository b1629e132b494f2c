"""The Classify page end to end: a real tiny model (trained once for the module) classifies a
generated folder in the worker thread; results, filters, export, sort + undo and cancel."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from core.infer.results import ClassifiedImage
from gui.classify.classify_job import ResultsBatch
from gui.classify.results_model import UNSURE
from tests.core.image_factory import make_image, make_shapes_dataset
from tests.gui.classify.classify_helpers import (
    CLASSES,
    classify,
    run_sort,
    sha256,
    tree_checksums,
)


def test_model_combo_lists_the_workspace_runs_and_describes_the_model(view, workspace):
    combo = view.findChild(type(view.model_combo), "classifyModelCombo")
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert any(t.startswith("shapes-run · loupe_net") for t in texts)
    assert texts[-1] == "Choose model file…"
    assert view.model_path() == str(workspace / "shapes-run")
    info = view.model_chooser.info_label.text()
    assert "3 classes: circle, square, triangle" in info and "32 px" in info
    view.set_model(str(workspace / "shapes-run" / "model.safetensors"))  # a file selects its run
    assert view.model_path() == str(workspace / "shapes-run")


def test_classifies_every_readable_image_and_lists_unreadable_ones(qtbot, view, photos):
    folder, corrupt = photos
    batches = []
    view.runner.event.connect(
        lambda event: batches.append(event) if isinstance(event, ResultsBatch) else None
    )
    status, message = classify(qtbot, view, folder)
    assert len(batches) < 24  # gathered into lists, not one signal per image
    assert status == "finished", message
    readable = sorted(str(p) for p in folder.rglob("*.jpg") if p.parent.name != "broken")
    assert sorted(r.path for r in view.results_model.results()) == readable
    assert {r.label for r in view.results_model.results()} <= set(CLASSES)
    unreadable = {u.path: u.reason for u in view.unreadable()}
    assert set(unreadable) == {str(p) for p in corrupt}
    assert all(unreadable.values())
    assert view.unreadable_list.count() == len(corrupt)
    assert view.unreadable_toggle.text() == f"{len(corrupt)} unreadable files"
    view.unreadable_toggle.click()
    assert view.unreadable_list.isVisibleTo(view)
    assert view.progress_bar.value() == view.progress_bar.maximum()
    assert f"Classified {len(readable)} images" in message
    assert view.filter_bar.count_label.text() == f"Showing {len(readable)} of {len(readable)}"
    assert view.export_csv_button.isEnabled() and view.sort_button.isEnabled()
    assert not view.undo_sort_button.isEnabled()


def test_subfolders_can_be_left_out(qtbot, view, photos, tmp_path):
    folder = tmp_path / "mixed"
    make_image(folder / "top.png", size=(40, 40))
    make_image(folder / "sub" / "deep.png", size=(40, 40))
    view.folder_chooser.subfolders_check.setChecked(False)
    status, _ = classify(qtbot, view, folder)
    assert status == "finished"
    assert [os.path.basename(r.path) for r in view.results_model.results()] == ["top.png"]
    assert view.recent()[0] == str(folder)


def test_class_and_confidence_filters(qtbot, view, photos):
    classify(qtbot, view, photos[0])
    results = view.results_model.results()
    bar = view.filter_bar
    label = results[0].label
    bar.class_combo.setCurrentIndex(bar.class_combo.findData(label))
    shown = view.shown_results()
    assert shown and all(r.label == label for r in shown)
    assert len(shown) == sum(r.label == label for r in results)

    bar.class_combo.setCurrentIndex(0)
    confidences = sorted(r.confidence for r in results)
    middle = confidences[len(confidences) // 2]
    bar.min_spin.setValue(round(middle * 100))
    assert all(r.confidence >= round(middle * 100) / 100 for r in view.shown_results())
    assert view.proxy.rowCount() < len(results) or confidences[0] >= middle

    bar.min_spin.setValue(0)
    bar.unsure_spin.setValue(100)  # everything below 100 % is unsure
    bar.class_combo.setCurrentIndex(bar.class_combo.findData(UNSURE))
    assert view.proxy.rowCount() == sum(r.confidence < 1.0 for r in results)
    bar.unsure_spin.setValue(0)
    assert view.proxy.rowCount() == 0
    assert view.filter_bar.count_label.text() == f"Showing 0 of {len(results)}"


def test_export_csv_and_json_write_the_rows_shown(qtbot, view, photos, tmp_path):
    classify(qtbot, view, photos[0])
    view.filter_bar.sort_combo.setCurrentIndex(3)  # confidence, high to low
    shown = view.shown_results()
    csv_path = tmp_path / "out.csv"
    assert view.export_csv(str(csv_path)) == len(shown)
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["path", "label", "confidence", "top1_label", "top1_confidence"]
    assert len(rows[0]) == 3 + 2 * len(CLASSES)  # 3 classes: top-3 columns
    assert [r[0] for r in rows[1:]] == [r.path for r in shown]
    assert [r[1] for r in rows[1:]] == [r.label for r in shown]
    assert [float(r[2]) for r in rows[1:]] == pytest.approx([r.confidence for r in shown], abs=1e-6)

    label = shown[0].label
    view.filter_bar.class_combo.setCurrentIndex(view.filter_bar.class_combo.findData(label))
    json_path = tmp_path / "out.json"
    count = view.export_json(str(json_path))
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert count == len(data["results"]) == sum(r.label == label for r in shown)
    assert {r["label"] for r in data["results"]} == {label}
    assert data["classes"] == list(CLASSES)
    assert data["model"]["arch"] == "loupe_net"
    assert len(data["unreadable"]) == len(photos[1])
    assert "Exported" in view.status_label.text()


def test_sort_copies_every_file_once_renames_collisions_and_undo_restores(qtbot, view, tmp_path):
    src = tmp_path / "src"
    make_shapes_dataset(src / "a", CLASSES, per_class=3, size=40, seed=1, ext=".jpg")
    make_shapes_dataset(src / "b", CLASSES, per_class=3, size=40, seed=2, ext=".jpg")  # same names
    classify(qtbot, view, src)
    before = tree_checksums(src)
    dest = tmp_path / "sorted"
    dialog, preview = run_sort(qtbot, view, dest)
    assert sum(preview.values()) == len(before)
    assert "Copied 18 files" in dialog.status_label.text()

    assert tree_checksums(src) == before  # copies leave the originals alone
    placed = [p for p in dest.rglob("*.jpg")]
    assert len(placed) == len(before)
    assert sorted(sha256(p) for p in placed) == sorted(before.values())  # each file exactly once
    assert any(" (1)" in p.name for p in placed)  # a/circle_000.jpg and b/circle_000.jpg collide
    for result in view.results_model.results():
        assert (dest / result.label).is_dir()

    assert view.undo_sort_button.isEnabled()
    runner = view.undo_last_sort()
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)
    assert not list(dest.rglob("*.jpg"))
    assert tree_checksums(src) == before
    assert "removed 18 copies (the originals" in view.status_label.text()
    assert not view.undo_sort_button.isEnabled()


def test_move_sort_with_unsure_folder_then_undo(qtbot, view, tmp_path):
    src = tmp_path / "src"
    make_shapes_dataset(src, CLASSES, per_class=4, size=40, seed=3, ext=".jpg")
    classify(qtbot, view, src)
    before = tree_checksums(src)
    dest = tmp_path / "sorted"
    results = view.results_model.results()
    # Below 100 % is unsure: nearly every image (a float32 softmax can saturate at exactly 1).
    unsure = [r for r in results if not r.confidence >= 1.0]
    sure = Counter(r.label for r in results if r.confidence >= 1.0)
    assert len(unsure) >= len(results) // 2
    _, preview = run_sort(qtbot, view, dest, move=True, threshold=1.0)
    assert preview == {"_unsure": len(unsure), **sure}
    assert not list(src.rglob("*.jpg"))
    assert len(list((dest / "_unsure").glob("*.jpg"))) == len(unsure)
    # The results now point at the moved files, so thumbnails and the detail view still work.
    assert all(str(dest) in r.path for r in view.results_model.results())

    runner = view.undo_last_sort()
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)
    assert tree_checksums(src) == before
    assert all(str(src) in r.path for r in view.results_model.results())


def test_cancel_stops_promptly(qtbot, view, tmp_path):
    folder = tmp_path / "many"
    make_shapes_dataset(folder, CLASSES, per_class=134, size=96, seed=9, ext=".jpg")  # 402 files
    total = len(list(folder.rglob("*.jpg")))
    view.set_folder(str(folder))
    with qtbot.waitSignal(
        view.runner.event, check_params_cb=lambda e: isinstance(e, ResultsBatch), timeout=60000
    ):
        assert view.start()
    assert view.cancel_button.isEnabled()
    with qtbot.waitSignal(view.classificationFinished, timeout=30_000) as blocker:
        view.cancel_button.click()
    status, message = blocker.args
    assert status == "stopped", message
    assert 0 < view.results_model.rowCount() < total
    assert message == f"Stopped: {view.results_model.rowCount()} of {total} images classified."
    assert not view.is_running() and view.classify_button.isEnabled()


def test_clicking_a_tile_shows_the_image_with_its_top_k(qtbot, view, photos):
    classify(qtbot, view, photos[0])
    view.show()
    qtbot.waitExposed(view)
    results_view = view.results_view
    index = results_view.model().index(0, 0)
    center = results_view.visualRect(index).center()
    qtbot.mouseClick(results_view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    dialog = view._detail
    assert dialog is not None and dialog.isVisible()
    result: ClassifiedImage = index.data(Qt.ItemDataRole.UserRole + 1)
    assert dialog.top_k_rows() == [(label, pytest.approx(p)) for label, p in result.top_k]
    dialog.close()


def test_unusable_model_fails_visibly(qtbot, view, workspace, photos, tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "model.json").write_text((workspace / "shapes-run" / "model.json").read_text())
    (broken / "model.safetensors").write_bytes(b"not tensors")
    view.set_model(str(broken))
    status, message = classify(qtbot, view, photos[0])
    assert status == "failed"
    assert "safetensors" in message
    assert view.status_label.text() == message
    assert view.results_model.rowCount() == 0


def test_start_refuses_without_model_or_folder(view, tmp_path):
    view.set_folder(str(tmp_path / "missing"))
    assert not view.start()
    assert "not a folder" in view.status_label.text()
    assert not view.classify_button.isEnabled()
    view.set_model("")
    view.set_folder(str(tmp_path))
    assert not view.start()
    assert "Choose a model" in view.status_label.text()


def test_enter_in_the_folder_field_starts(qtbot, view, photos):
    view.folder_edit.setText(str(photos[0]))
    with qtbot.waitSignal(view.classificationFinished, timeout=60000):
        qtbot.keyClick(view.folder_edit, Qt.Key.Key_Return)
    assert view.results_model.rowCount() > 0


def test_screenshot_with_results(qtbot, view, photos, tmp_path):
    classify(qtbot, view, photos[0])
    view.show()
    qtbot.waitExposed(view)
    cache = view.thumbnails
    qtbot.waitUntil(lambda: cache.pending_count == 0 and len(cache) > 0, timeout=10000)
    qtbot.wait(100)  # the coalesced repaint
    image = view.grab().toImage()
    out = Path(os.environ.get("LOUPE_SCREENSHOT_DIR", tmp_path)) / "classify_view.png"
    image.save(str(out))
    tile = view.results_view.visualRect(view.results_view.model().index(0, 0))
    point = view.results_view.viewport().mapTo(view, tile.center() - QPoint(0, tile.height() // 5))
    # The first tile's thumbnail area is painted (not the empty grey placeholder).
    assert image.pixelColor(point).name() != "#ececec"


def test_sort_dialog_explains_a_bad_destination(qtbot, view, photos, tmp_path):
    classify(qtbot, view, photos[0])
    dialog = view.open_sort_dialog()
    assert dialog.dest_edit.text().endswith("to_classify sorted")  # a sibling folder by default
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    dialog.dest_edit.setText(str(blocker))
    dialog.update_preview()
    assert "is a file" in dialog.preview_label.text()
    assert not dialog.sort_button.isEnabled()
    dialog.dest_edit.setText("")
    dialog.update_preview()
    assert "Choose a destination" in dialog.preview_label.text()
    dialog.close()


def test_shutdown_while_classifying_leaves_no_thread(qtbot, view, photos):
    view.set_folder(str(photos[0]))
    assert view.start()
    view.shutdown()
    assert not view.is_running()


def test_classifies_on_the_chosen_device_and_keeps_the_model_until_released(qtbot, view, photos):
    folder, _ = photos
    from gui.classify.classify_job import ModelLoaded

    loads = []
    view.runner.event.connect(lambda e: isinstance(e, ModelLoaded) and loads.append(e))
    view.set_device("cpu")
    assert classify(qtbot, view, folder)[0] == "finished"
    assert classify(qtbot, view, folder)[0] == "finished"
    assert [m.device for m in loads] == ["cpu"]  # loaded once, kept for the next folder
    view.release_model()  # what starting a training run does: its GPU memory goes
    assert classify(qtbot, view, folder)[0] == "finished"
    assert len(loads) == 2
    view.set_device("cuda:1")  # the Train page's device reaches the engine (no GPU here)
    status, message = classify(qtbot, view, folder)
    assert status == "failed" and "no CUDA GPU is available" in message
