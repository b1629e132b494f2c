"""What a new user tripped over on the Classify page (issue 9, item 7), one test each: the
page model without Qt, then the view."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.infer.classify_run import ResultsBatch
from core.infer.results import ClassifiedImage, ClassifyProgress
from gui.classify.classify_page_model import ClassifyPageModel, SortRecord, display_name
from gui.classify.classify_view import ClassifyView
from tests.core.image_factory import make_shapes_dataset
from tests.gui.classify.classify_helpers import CLASSES, classify, run_sort, tree_checksums
from tests.gui.widgets.test_progress_bars import Paints

# -- the page model, without Qt ----------------------------------------------------------------


def test_tiles_name_files_below_the_classified_folder(tmp_path):
    root = str(tmp_path / "photos")
    a = os.path.join(root, "2019", "IMG_1000.jpg")
    b = os.path.join(root, "2020", "IMG_1000.jpg")
    assert display_name(a, root) == "2019/IMG_1000.jpg" != display_name(b, root)
    assert display_name(a, str(tmp_path / "elsewhere")) == "IMG_1000.jpg"
    assert display_name(a, "") == "IMG_1000.jpg"


def test_a_trained_model_is_offered_unless_the_user_chose_another():
    page = ClassifyPageModel()
    assert page.should_offer("/ws/run-1")
    page.choose_model("/ws/run-0", readable=True, by_user=False)  # restored or offered
    assert page.should_offer("/ws/run-1")
    page.choose_model("/ws/mine", readable=True, by_user=True)
    assert not page.should_offer("/ws/run-2")


def test_export_says_before_writing_that_the_filter_applies():
    assert ClassifyPageModel.export_title("CSV", 2753, 6000) == (
        "Export the 2,753 images shown (of 6,000: the filter applies) as CSV"
    )
    assert ClassifyPageModel.export_title("CSV", 6000, 6000) == "Export all 6,000 results as CSV"
    assert "clear the filters" in ClassifyPageModel.export_tooltip("JSON", 10, 6000)


def test_sorts_to_undo_survive_a_restart_newest_first(tmp_path):
    manifests = []
    for i in range(7):
        path = tmp_path / f"sort-{i}.jsonl"
        path.write_text("{}")
        manifests.append(path)
    page = ClassifyPageModel()
    for i, path in enumerate(manifests):
        page.sorted_files(SortRecord(str(path), i % 2 == 0, "/dest", 1000 + i, 1.7e9 + i))
    later = ClassifyPageModel()
    later.restore_sorts(page.saved_sorts() + [{"manifest": 3}])  # a broken entry is skipped
    candidates = later.undo_candidates()
    assert [c.manifest for c in candidates] == [str(p) for p in manifests[::-1][:5]]
    assert candidates[0].text().startswith("1,006 files moved into /dest (")
    manifests[-1].unlink()  # gone from disk: not offered
    assert later.undo_candidates()[0].manifest == str(manifests[-2])


# -- the view --------------------------------------------------------------------------------


def test_choosing_a_model_does_not_move_the_images_field(qtbot, workspace):
    view = ClassifyView()
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.set_workspace(str(workspace))
    view.show()
    qtbot.waitExposed(view)
    before = view.folder_edit.mapTo(view, view.folder_edit.rect().topLeft()).y()
    view.set_model(str(workspace / "shapes-run"))  # two lines of description appear
    qtbot.wait(10)
    assert "3 classes" in view.model_chooser.info_label.text()
    assert view.folder_edit.mapTo(view, view.folder_edit.rect().topLeft()).y() == before
    view.shutdown()


def _fake_results(root: Path, count: int) -> list[ClassifiedImage]:
    return [
        ClassifiedImage(
            str(root / f"folder{i % 40}" / f"IMG_{i // 40:04d}.jpg"),
            CLASSES[i % 3],
            0.4 + (i % 60) / 100,
            ((CLASSES[i % 3], 0.4 + (i % 60) / 100),),
        )
        for i in range(count)
    ]


def test_six_thousand_results_keep_a_steady_filter_bar_and_no_horizontal_scrollbar(
    qtbot, view, tmp_path
):
    view.resize(1280, 720)
    view.show()
    qtbot.waitExposed(view)
    view.results_model.set_root(str(tmp_path))
    view.results_model.set_class_names(CLASSES)
    results = _fake_results(tmp_path, 6000)
    combo = view.filter_bar.class_combo
    view.results_model.append_results(results[:30])
    view.filter_bar.refresh()
    width, x = combo.width(), combo.x()
    for start in range(30, 6000, 1000):
        view.results_model.append_results(results[start : start + 1000])
        view.filter_bar.refresh()
        qtbot.wait(5)
    assert "(6,000)" in combo.itemText(0)
    assert (combo.width(), combo.x()) == (width, x)  # counts grew, the bar stayed put
    qtbot.wait(50)
    assert not view.results_view.horizontalScrollBar().isVisible()
    name = view.proxy.index(0, 0).data()
    assert name.startswith("folder") and name.endswith(".jpg")  # the relative folder shows
    view.progress.show_count(2816, 6000)
    assert view.progress_bar.text() == "2,816 of 6,000"


def test_a_batch_of_results_paints_nothing_inside_its_event(qtbot, view, tmp_path):
    # The progress bar repainted at once, and with it the result grid waiting for its
    # repaint: ~15 ms maximised on 4K inside every batch's event.
    view.resize(1280, 720)
    view.show()
    qtbot.waitExposed(view)
    view.results_model.set_class_names(CLASSES)
    results = _fake_results(tmp_path, 400)
    view.on_event(ResultsBatch(results[:200], progress=ClassifyProgress(200, 400, 50.0, 4.0)))
    qtbot.wait(100)
    paints = Paints(view.results_view.viewport())
    bar = Paints(view.progress_bar)
    view.results_view.viewport().update()  # waiting for a repaint (a thumbnail arrived)
    view.on_event(ResultsBatch(results[200:300], progress=ClassifyProgress(300, 400, 50.0, 2.0)))
    assert (paints.count, bar.count) == (0, 0)
    assert view.progress_bar.text() == "300 of 400"
    qtbot.waitUntil(lambda: paints.count > 0 and bar.count > 0)


def test_export_buttons_say_the_filter_applies(qtbot, view, tmp_path):
    view.results_model.set_class_names(CLASSES)
    view.results_model.append_results(_fake_results(tmp_path, 300))
    view.filter_bar.set_class_filter("circle")
    view._update_buttons()
    assert "the 100 images the filter shows" in view.export_csv_button.toolTip()
    assert view.actions.export_title("CSV").startswith("Export the 100 images shown (of 300")


def test_undo_sort_is_offered_after_a_restart(qtbot, view, photos, tmp_path):
    src = tmp_path / "src"
    make_shapes_dataset(src, CLASSES, per_class=3, size=40, seed=4, ext=".jpg")
    before = tree_checksums(src)
    classify(qtbot, view, src)
    run_sort(qtbot, view, tmp_path / "sorted")
    saved = view.page.saved_sorts()  # what the window writes into the settings

    later = ClassifyView()  # the next session: no sort was made in it
    qtbot.addWidget(later)
    assert not later.undo_sort_button.isEnabled()
    later.page.restore_sorts(saved)
    later._update_buttons()
    assert later.undo_sort_button.isEnabled()
    assert "9 files copied into" in later.undo_sort_button.toolTip()
    runner = later.undo_last_sort()
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)
    assert not list((tmp_path / "sorted").rglob("*.jpg")) and tree_checksums(src) == before
    assert not later.undo_sort_button.isEnabled()  # undone: not offered again
    later.shutdown()
    shutil.rmtree(tmp_path / "sorted", ignore_errors=True)
