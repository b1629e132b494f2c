"""The dataset check's review list: move, exclude, keep and undo, in the model and the dialog."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from gui.data.doctor_review import DoctorDialog
from gui.data.doctor_review_model import REVIEWED_FILE, DoctorReviewModel
from gui.jobs import JobEnded
from tests.core.image_factory import make_shapes_dataset
from tests.core.sorting_helpers import visible_files


@pytest.fixture
def dataset(tmp_path):
    root = make_shapes_dataset(tmp_path / "data", per_class=8, size=24, seed=7)
    shutil.copy(root / "circle" / "circle_000.png", root / "square" / "wrong.png")
    shutil.copy(root / "triangle" / "triangle_001.png", root / "triangle" / "again.png")
    return root


def _report(root) -> dict:
    return {
        "classes": ["circle", "square", "triangle"],
        "exact_duplicates": [["triangle/triangle_001.png", "triangle/again.png"]],
        "label_issues": [
            {"path": "square/wrong.png", "label": "square", "suggested": "circle", "score": 0.9}
        ],
        "files": {
            "square/wrong.png": {"label": "square", "split": "train"},
            "triangle/triangle_001.png": {"label": "triangle", "split": "train"},
            "triangle/again.png": {"label": "triangle", "split": "val"},
        },
    }


def test_move_to_the_suggested_class_then_undo(dataset):
    before = visible_files(dataset)
    model = DoctorReviewModel(str(dataset), _report(dataset))
    issue = [i for i in model.open_items() if i.kind == "label_issues"][0]
    manifest = model.move(list(issue.paths), issue.suggested)
    assert os.path.isfile(manifest)
    assert (dataset / "circle" / "wrong.png").is_file()
    assert issue not in model.open_items() and model.changed
    model.undo()
    assert visible_files(dataset) == before
    assert issue in model.open_items()


def test_exclude_takes_the_train_copy_of_duplicates_across_splits(dataset):
    # The pair is in training and in validation: its duplicates row excluded the validation
    # copy (the first copy stayed), so the validation set shrank and the train copy stayed.
    model = DoctorReviewModel(str(dataset), _report(dataset))
    group = [i for i in model.open_items() if i.kind == "exact_duplicates"][0]
    model.exclude(group.extra_copies())
    assert (dataset / "_excluded" / "triangle" / "triangle_001.png").is_file()
    assert (dataset / "triangle" / "again.png").is_file()
    assert group not in model.open_items()


def test_exclude_takes_all_but_one_copy_within_one_split(dataset):
    report = _report(dataset)
    report["files"]["triangle/again.png"]["split"] = "train"
    model = DoctorReviewModel(str(dataset), report)
    group = [i for i in model.open_items() if i.kind == "exact_duplicates"][0]
    model.exclude(group.extra_copies())
    assert (dataset / "triangle" / "triangle_001.png").is_file()
    assert (dataset / "_excluded" / "triangle" / "again.png").is_file()


def test_keep_is_remembered_in_the_dataset(dataset):
    model = DoctorReviewModel(str(dataset), _report(dataset))
    issue = [i for i in model.open_items() if i.kind == "label_issues"][0]
    model.keep([issue])
    with open(dataset / REVIEWED_FILE, encoding="utf-8") as f:
        assert issue.key in json.load(f)["kept"]
    again = DoctorReviewModel(str(dataset), _report(dataset))
    assert [i.kind for i in again.open_items()] == ["exact_duplicates"]


def test_dialog_checks_moves_the_selection_and_undoes(qtbot, dataset):
    before = visible_files(dataset)
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(
        dialog.runner.event, timeout=120_000, check_params_cb=lambda e: isinstance(e, JobEnded)
    ):
        dialog.start()
    rows = [dialog.list.item(k) for k in range(dialog.list.count())]
    texts = [row.text() for row in rows]
    wrong = [
        row for row, text in zip(rows, texts) if "Probable label error: square/wrong.png" in text
    ]
    assert wrong, texts
    # Each image says the role it plays ("square (training)"), not "val/square" beside a
    # train/square/... path (a held-out file read as a contradiction: GUI review, session 7).
    wheres = [text.split("\n", 1)[1] for text in texts]
    assert any("(training)" in w for w in wheres) and not any("/" in w for w in wheres), wheres
    assert not dialog.retrain_button.isEnabled()
    wrong[0].setSelected(True)
    assert dialog.class_box.currentText() == "circle"  # the suggestion is preselected
    dialog.move_button.click()
    assert (dataset / "circle" / "wrong.png").is_file()
    assert all(
        "square/wrong.png" not in dialog.list.item(k).text() for k in range(dialog.list.count())
    )
    assert dialog.retrain_button.isEnabled()
    with qtbot.waitSignal(dialog.retrainRequested):
        dialog.retrain_button.click()
    dialog.undo_button.click()
    assert visible_files(dataset) == before
    assert not dialog.undo_button.isEnabled()


def test_cancel_stops_the_check_and_changes_nothing(qtbot, dataset):
    before = visible_files(dataset)
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(
        dialog.runner.event, timeout=60_000, check_params_cb=lambda e: isinstance(e, JobEnded)
    ):
        dialog.start()
        dialog.cancel_button.click()
    assert dialog.list.count() == 0
    assert "stopped" in dialog.status_label.text().lower()
    assert visible_files(dataset) == before


def _conflict_report() -> dict:
    """circle_000.png and its copy square/wrong.png: one picture in two classes, so also an
    exact-duplicate group; wrong.png is an outlier of square besides."""
    pair = ["circle/circle_000.png", "square/wrong.png"]
    return {
        "classes": ["circle", "square", "triangle"],
        "label_conflicts": [pair],
        "exact_duplicates": [pair],
        "outliers": [{"path": "square/wrong.png", "label": "square", "score": 0.8}],
        "files": {
            "circle/circle_000.png": {"label": "circle", "split": "train"},
            "square/wrong.png": {"label": "square", "split": "train"},
        },
    }


def test_moving_a_conflict_leaves_the_duplicates_listed_where_they_are_now(dataset):
    # "Move to class" on "Same picture, different classes" hid the separate "Exact
    # duplicates" item although both identical files were still in the dataset.
    model = DoctorReviewModel(str(dataset), _conflict_report())
    conflict = [i for i in model.open_items() if i.kind == "label_conflicts"][0]
    model.move(list(conflict.paths), "circle")
    assert (dataset / "circle" / "wrong.png").is_file()
    open_now = model.open_items()
    assert [i.kind for i in open_now] == ["exact_duplicates"]  # conflict and outlier resolved
    duplicates = open_now[0]
    assert duplicates.paths == ("circle/circle_000.png", "circle/wrong.png")
    assert duplicates.labels == ("circle", "circle")
    assert "circle/wrong.png" in duplicates.text()

    model.exclude(duplicates.extra_copies())  # the copy goes: now the group is resolved
    assert (dataset / "_excluded" / "circle" / "wrong.png").is_file()
    assert model.open_items() == []
    model.undo()
    assert [i.paths for i in model.open_items()] == [duplicates.paths]
    model.undo()
    assert model.open_items() == model.items  # everything as the check found it
    assert not model.changed  # every change undone: nothing to retrain on


def test_retrain_is_offered_only_while_a_change_is_in_place(qtbot, dataset):
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    dialog.show_report(_conflict_report())
    texts = [dialog.list.item(k).text() for k in range(dialog.list.count())]
    dialog.list.item(0).setSelected(True)  # "Same picture, different classes"
    assert texts[0].startswith("Same picture, different classes")
    dialog.class_box.setCurrentText("circle")
    dialog.move_button.click()
    texts = [dialog.list.item(k).text() for k in range(dialog.list.count())]
    assert texts == [
        "Exact duplicates: circle/circle_000.png, circle/wrong.png\ncircle (training), circle (training)"
    ]
    assert dialog.retrain_button.isEnabled()
    dialog.undo_button.click()
    assert not dialog.retrain_button.isEnabled()  # it was enabled with nothing changed
    assert not dialog.undo_button.isEnabled()
    assert dialog.list.count() == 3
