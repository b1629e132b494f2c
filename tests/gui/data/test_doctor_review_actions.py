"""The review's actions do what the images call for: a picture in two classes loses every
copy, a group across splits its train copies, Move to class is for findings about a label
and asks before a held-out image changes class, Undo outlives the window, and the list
keeps its place. (GUI review, session 8: defects found on a planted dataset.)"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from PySide6.QtCore import Qt

from gui.data.doctor_review import DoctorDialog
from gui.data.doctor_review_model import REVIEWED_FILE, DoctorReviewModel
from tests.core.image_factory import make_shapes_dataset
from tests.core.sorting_helpers import visible_files

CONFLICT = ["train/square/wrong.png", "train/circle/circle_000.png"]  # the wrong label first
LEAK = ["train/triangle/triangle_000.png", "test/triangle/leak.png"]  # train first, as found
HELD_OUT_ISSUE = "test/circle/circle_001.png"
ROLE = Qt.ItemDataRole.UserRole  # a row's finding


@pytest.fixture
def dataset(tmp_path):
    root = make_shapes_dataset(
        tmp_path / "data", per_class=4, size=24, split=True, val_per_class=1, test_per_class=2
    )
    shutil.copy(root / CONFLICT[1], root / CONFLICT[0])
    shutil.copy(root / LEAK[0], root / LEAK[1])
    return root


def _report(root) -> dict:
    """What the check reports on `root`: the conflict and the leak each also as exact
    duplicates, a label issue in test, and every other train image as an outlier (a long
    list)."""
    images = sorted(
        os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/")
        for d, _, names in os.walk(root)
        for n in names
        if not n.startswith(".") and "_excluded" not in d
    )
    files = {p: {"label": p.split("/")[1], "split": p.split("/")[0]} for p in images}
    others = [p for p in images if p.startswith("train/") and p not in CONFLICT + LEAK]
    return {
        "classes": ["circle", "square", "triangle"],
        "leaks": [LEAK],
        "label_conflicts": [CONFLICT],
        "exact_duplicates": [CONFLICT, LEAK],
        "label_issues": [
            {"path": HELD_OUT_ISSUE, "label": "circle", "suggested": "square", "score": 0.9}
        ],
        "outliers": [{"path": p, "label": files[p]["label"], "score": 0.5} for p in others],
        "files": files,
    }


def _rows(dialog) -> list:
    return [dialog.list.item(k) for k in range(dialog.list.count())]


def _select(dialog, starts: str):
    dialog.list.clearSelection()
    row = next(r for r in _rows(dialog) if r.text().startswith(starts))
    row.setSelected(True)
    return row


def _dialog(qtbot, root) -> DoctorDialog:
    dialog = DoctorDialog(str(root), 0.2, 0)
    qtbot.addWidget(dialog)
    dialog.show_report(_report(root))
    return dialog


def test_a_picture_in_two_classes_loses_every_copy_from_either_row(dataset):
    # Exclude on "Same picture, different classes" took out paths[1:], here the correctly
    # labelled circle, and kept the wrongly labelled copy in training.
    model = DoctorReviewModel(str(dataset), _report(dataset))
    rows = [i for i in model.open_items() if set(i.paths) == set(CONFLICT)]
    assert {i.kind for i in rows} == {"label_conflicts", "exact_duplicates"}
    for row in rows:
        assert sorted(row.extra_copies()) == sorted(CONFLICT)
    model.exclude(rows[0].extra_copies())
    assert not (dataset / CONFLICT[0]).exists() and not (dataset / CONFLICT[1]).exists()
    assert (dataset / "_excluded" / "train" / "square" / "wrong.png").is_file()
    assert not [i for i in model.open_items() if set(i.paths) & set(CONFLICT)]


def test_exclude_says_what_moved_where(qtbot, dataset):
    dialog = _dialog(qtbot, dataset)
    _select(dialog, "Same picture, different classes")
    dialog.exclude_button.click()
    status = dialog.status_label.text()
    assert "train/square/wrong.png \u2192 _excluded/train/square/wrong.png" in status, status
    assert "train/circle/circle_000.png \u2192 _excluded/train/circle/circle_000.png" in status
    assert "which label is right" in status and "undo" in status
    # The next finding is selected, not one two rows further down (rows above vanished too).
    assert [item.paths for item in dialog.selected()] == [tuple(LEAK)]


def test_a_group_across_splits_loses_its_train_copy_from_either_row(dataset):
    # From the duplicates row the test copy was excluded (the test set shrank, the train
    # copy stayed); from the leak row the train copy.
    model = DoctorReviewModel(str(dataset), _report(dataset))
    rows = [i for i in model.open_items() if set(i.paths) == set(LEAK)]
    assert {i.kind for i in rows} == {"leaks", "exact_duplicates"}
    for row in rows:
        assert row.extra_copies() == [LEAK[0]]
    duplicates = next(i for i in rows if i.kind == "exact_duplicates")
    model.exclude(duplicates.extra_copies())
    assert (dataset / LEAK[1]).is_file()
    assert (dataset / "_excluded" / "train" / "triangle" / "triangle_000.png").is_file()
    assert not [i for i in model.open_items() if set(i.paths) & set(LEAK)]


def test_move_to_class_is_for_labels_and_asks_before_a_held_out_image_changes(
    qtbot, dataset, monkeypatch
):
    # A duplicates row preselected the first class and moved the whole group, a test image
    # included, without asking.
    before = visible_files(dataset)
    asked: list[str] = []
    answer = [False]
    monkeypatch.setattr(DoctorDialog, "_confirm", lambda self, q: asked.append(q) or answer[0])
    dialog = _dialog(qtbot, dataset)
    for starts in ("Exact duplicates", "Leak across splits"):
        _select(dialog, starts)
        assert not dialog.move_button.isEnabled() and not dialog.class_box.isEnabled()

    _select(dialog, "Probable label error")
    assert dialog.class_box.currentText() == "square"  # its suggestion
    dialog.move_button.click()  # a test image would change class: asked, and declined
    assert len(asked) == 1 and "test" in asked[0] and HELD_OUT_ISSUE in asked[0]
    assert visible_files(dataset) == before
    answer[0] = True
    dialog.move_button.click()
    assert (dataset / "test" / "square" / "circle_001.png").is_file()

    # A conflict's class is chosen, never one left over from another row.
    _select(dialog, "Same picture, different classes")
    assert dialog.class_box.currentIndex() == -1 and not dialog.move_button.isEnabled()
    dialog.class_box.setCurrentText("circle")
    assert dialog.move_button.isEnabled()


def test_undo_outlives_the_window(qtbot, dataset):
    # Reopening Check dataset showed Undo and Retrain disabled though the change was on disk.
    before = visible_files(dataset)
    first = DoctorReviewModel(str(dataset), _report(dataset))
    first.exclude([LEAK[0]])
    first.move([CONFLICT[0]], "circle")
    again = DoctorReviewModel(str(dataset), _report(dataset))
    assert again.can_undo() and again.changed
    assert "train/square/wrong.png \u2192 train/circle/wrong.png" in again.next_undo()
    dialog = _dialog(qtbot, dataset)
    assert dialog.undo_button.isEnabled() and dialog.retrain_button.isEnabled()
    assert "Undo reverses your change of" in dialog.status_label.text()
    dialog.undo_button.click()
    assert (dataset / CONFLICT[0]).is_file()
    assert "check again" in dialog.status_label.text()
    dialog.undo_button.click()
    assert visible_files(dataset) == before
    assert not dialog.undo_button.isEnabled()


def test_the_list_keeps_its_place_and_keep_can_be_undone(qtbot, dataset):
    dialog = _dialog(qtbot, dataset)
    dialog.show()
    rows = _rows(dialog)
    assert len(rows) > 10
    bar = dialog.list.verticalScrollBar()
    bar.setValue(bar.maximum())
    rows[-3].setSelected(True)
    below = rows[-2].data(ROLE)  # the finding after it
    scrolled = bar.value()
    dialog.exclude_button.click()
    chosen = dialog.list.selectedItems()
    assert len(chosen) == 1 and dialog.list.row(chosen[0]) == len(rows) - 3
    assert chosen[0].data(ROLE).key == below.key  # the next finding, not the top
    assert bar.value() > 0 and abs(bar.value() - scrolled) < 200

    kept = chosen[0].data(ROLE)
    dialog.keep_button.click()
    status = dialog.status_label.text()
    assert status.startswith("Kept") and "not shown again" in status and "Undo" in status
    assert "\u2192" not in status  # the exclude's message is gone
    with open(dataset / REVIEWED_FILE, encoding="utf-8") as f:
        assert kept.key in json.load(f)["kept"]
    dialog.undo_button.click()
    assert "shown again" in dialog.status_label.text()
    assert kept.key in [r.data(ROLE).key for r in _rows(dialog)]
    with open(dataset / REVIEWED_FILE, encoding="utf-8") as f:
        assert kept.key not in json.load(f)["kept"]
