""" "Undo sort" on a fresh Classify page undid the previous session's sort (perhaps images
added to the training data) with one click, and its message named no folder. Now a sort of
an earlier session is undone only after a question that names its files and folder, and the
result names the folder; a sort just made is still undone with one click."""

from __future__ import annotations

import time
from dataclasses import asdict

from core.files.add_to_dataset import add_to_dataset, plan_add_to_dataset
from gui.classify.classify_page_model import ClassifyPageModel, SortRecord
from gui.classify.classify_view import ClassifyView
from tests.core.image_factory import make_shapes_dataset
from tests.gui.classify.classify_helpers import CLASSES


def _added_last_session(tmp_path) -> tuple[SortRecord, str]:
    """An image added to a dataset's training data (its "Undo sort" record) and the copy."""
    data = make_shapes_dataset(tmp_path / "data", CLASSES, per_class=1, size=24)
    image = make_shapes_dataset(tmp_path / "inbox", CLASSES[:1], per_class=1, size=30, seed=5)
    plan = plan_add_to_dataset(str(data), [str(image / "circle" / "circle_000.png")], "square")
    outcome = add_to_dataset(plan)
    record = SortRecord(outcome.manifest_path, False, plan.dest_root, outcome.done, time.time())
    return record, plan.ops[0].destination


def _later_page(qtbot, saved: list[dict]) -> ClassifyView:
    later = ClassifyView()  # the next session
    qtbot.addWidget(later)
    later.page.restore_sorts(saved)
    later._update_buttons()
    return later


def test_the_question_names_the_files_and_the_folder(tmp_path):
    record, copy = _added_last_session(tmp_path)
    page = ClassifyPageModel()
    page.restore_sorts([asdict(record)])
    assert page.asks_before_undo(record)
    question = page.undo_question(record, [("/inbox/circle_000.png", copy)])
    assert "earlier session" in question
    assert f"1 file added to the dataset {record.dest_root}" in question
    assert f"The copy in {record.dest_root} will be deleted" in question
    assert "• square/circle_000.png" in question
    page.sorted_files(record)  # made in this session: no question
    assert not page.asks_before_undo(record)


def test_undoing_an_earlier_sessions_sort_asks_first(qtbot, tmp_path):
    record, copy = _added_last_session(tmp_path)
    later = _later_page(qtbot, [asdict(record)])
    asked = []
    answers = iter([False, True])
    later.undo_sort_button.confirm = lambda title, text: asked.append(text) or next(answers)

    later.undo_sort_button.click()  # answered No: nothing happens
    assert len(asked) == 1 and "square/circle_000.png" in asked[0]
    assert not later.actions.is_undoing()
    assert (tmp_path / "data" / "square" / "circle_000.png").is_file()

    later.undo_sort_button.click()  # answered Yes
    qtbot.waitUntil(lambda: not later.actions.is_undoing(), timeout=30000)
    assert not (tmp_path / "data" / "square" / "circle_000.png").exists()
    assert f"Undo in {record.dest_root}: removed 1 copy" in later.status_label.text()
    later.shutdown()


def test_a_sort_of_this_session_is_undone_with_one_click(qtbot, tmp_path):
    record, copy = _added_last_session(tmp_path)
    view = _later_page(qtbot, [])
    view.page.sorted_files(record)  # as the add-to-dataset job records it
    view._update_buttons()
    view.undo_sort_button.confirm = lambda title, text: (_ for _ in ()).throw(AssertionError)
    with qtbot.waitSignal(view.actions.filesChanged, timeout=30000) as changed:
        view.undo_sort_button.click()
    assert changed.args == [[record.dest_root]]  # the Data page rescans the dataset
    qtbot.waitUntil(lambda: not view.actions.is_undoing(), timeout=30000)
    assert "Undo in" in view.status_label.text()
    view.shutdown()
