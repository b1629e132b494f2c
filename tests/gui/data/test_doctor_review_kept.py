"""Kept findings can be seen and taken back: the model lists them, "show again" takes them
out of reviewed.json (they are open again, also in the next check), and Undo keeps them
again. Keep used to hide a finding for good once the window closed."""

from __future__ import annotations

import json
import shutil

import pytest

from gui.data.doctor_review import DoctorDialog
from gui.data.doctor_review_model import REVIEWED_FILE, DoctorReviewModel
from tests.core.image_factory import make_shapes_dataset

PAIR = ["circle/circle_000.png", "square/wrong.png"]  # one picture in two classes


@pytest.fixture
def dataset(tmp_path):
    root = make_shapes_dataset(tmp_path / "data", per_class=4, size=24, seed=3)
    shutil.copy(root / PAIR[0], root / PAIR[1])
    shutil.copy(root / "triangle" / "triangle_001.png", root / "triangle" / "again.png")
    return root


def _report() -> dict:
    """The pair as a label conflict and as exact duplicates, wrong.png as an outlier of
    square, two triangles as exact duplicates, and a label issue."""
    triangles = ["triangle/triangle_001.png", "triangle/again.png"]
    files = {p: {"label": p.split("/")[0], "split": "train"} for p in [*PAIR, *triangles]}
    files["circle/circle_002.png"] = {"label": "circle", "split": "train"}
    return {
        "classes": ["circle", "square", "triangle"],
        "label_conflicts": [PAIR],
        "exact_duplicates": [PAIR, triangles],
        "label_issues": [
            {
                "path": "circle/circle_002.png",
                "label": "circle",
                "suggested": "square",
                "score": 0.7,
            }
        ],
        "outliers": [{"path": PAIR[1], "label": "square", "score": 0.8}],
        "files": files,
    }


def _kept_on_disk(root) -> list[str]:
    with open(root / REVIEWED_FILE, encoding="utf-8") as f:
        return json.load(f)["kept"]


def _model(root) -> DoctorReviewModel:
    return DoctorReviewModel(str(root), _report())


def _find(items, kind: str):
    return next(i for i in items if i.kind == kind)


def test_kept_findings_are_listed_and_shown_again_also_in_the_next_check(dataset):
    model = _model(dataset)
    issue = _find(model.items, "label_issues")
    triangles = model.items[2]
    assert model.kept_items() == [] and model.kept_note() == ""
    model.keep([triangles, issue])

    again = _model(dataset)  # the window closed and opened again: Undo cannot reach the keep
    assert not again.can_undo()
    assert again.kept_items() == [triangles, issue]  # in the report's order
    assert triangles not in again.open_items() and issue not in again.open_items()
    assert again.listed(with_kept=True) == again.items  # open and kept, nothing twice
    assert again.is_kept(issue) and not again.is_kept(again.items[0])
    assert again.kept_note() == "2 findings you kept are listed only with Show kept"

    status = again.show_again([issue])
    assert status == (
        "Shown again: Probable label error: circle/circle_002.png is 'circle', looks like "
        "'square' (0.70); no longer kept (Undo keeps it again)."
    )
    assert _kept_on_disk(dataset) == [triangles.key]
    assert issue in again.open_items() and again.kept_items() == [triangles]

    later = _model(dataset)
    assert issue in later.open_items() and later.kept_items() == [triangles]
    assert later.kept_note() == "1 finding you kept is listed only with Show kept"


def test_show_again_can_be_undone(dataset):
    first = _model(dataset)
    first.keep([first.items[2]])
    model = _model(dataset)  # another window: the keep is not in its undo steps
    triangles = model.kept_items()[0]
    model.show_again([triangles, model.items[0]])  # the open one is left as it is
    assert _kept_on_disk(dataset) == []
    assert model.can_undo() and model.next_undo() == "Undo keeps the finding again"
    assert model.undo() == "Undo: kept the finding again."
    assert _kept_on_disk(dataset) == [triangles.key]
    assert model.kept_items() == [triangles] and triangles not in model.open_items()
    assert not model.can_undo()
    assert _model(dataset).kept_items() == [triangles]


def test_show_again_of_nothing_kept_changes_nothing(dataset):
    model = _model(dataset)
    assert model.show_again(model.open_items()[:1]).startswith("Nothing to show again")
    assert not model.can_undo() and not (dataset / REVIEWED_FILE).exists()


def test_a_kept_finding_follows_its_images(dataset):
    # Kept findings are the ones Keep hides: as they are now, gone once what they report is
    # gone. A finding the check no longer reports keeps its key in reviewed.json (a later
    # check may report it again), and showing others again leaves it there.
    (dataset / ".loupe").mkdir()
    (dataset / REVIEWED_FILE).write_text(json.dumps({"kept": ["outliers:square/gone.png"]}))
    model = _model(dataset)
    duplicates, outlier = model.items[1], _find(model.items, "outliers")
    model.keep([duplicates, outlier])
    assert model.kept_items() == [duplicates, outlier]

    model.move([PAIR[1]], "circle")  # the conflict is resolved, and with it the outlier
    moved = _find(model.listed(with_kept=True), "exact_duplicates")
    assert moved.paths == ("circle/circle_000.png", "circle/wrong.png")
    assert model.kept_items() == []  # the copies are another finding now: open
    assert moved in model.open_items()
    model.undo()
    assert model.kept_items() == [duplicates, outlier]

    model.show_again([duplicates, outlier])
    assert _kept_on_disk(dataset) == ["outliers:square/gone.png"]


def _texts(dialog) -> list[str]:
    return [dialog.list.item(k).text() for k in range(dialog.list.count())]


def _dialog(qtbot, root) -> DoctorDialog:
    dialog = DoctorDialog(str(root), 0.2, 0)
    qtbot.addWidget(dialog)
    dialog.status_label.setText("Checked 14 images.")  # what the check says before the list
    dialog.show_report(_report())
    return dialog


def test_the_dialog_lists_kept_findings_and_shows_them_again(qtbot, dataset):
    issue = "Probable label error: circle/circle_002.png"
    dialog = _dialog(qtbot, dataset)
    box, show_again = dialog.kept_box, dialog.show_again_button
    assert not box.isHidden() and box.text() == "Show kept (0)" and not box.isEnabled()
    assert show_again.isHidden()
    row = next(dialog.list.item(k) for k, t in enumerate(_texts(dialog)) if t.startswith(issue))
    row.setSelected(True)
    dialog.keep_button.click()
    assert "Show kept lists it" in dialog.status_label.text()
    assert not [t for t in _texts(dialog) if issue in t]
    assert box.text() == "Show kept (1)" and box.isEnabled()

    dialog = _dialog(qtbot, dataset)  # closed and opened again: Undo cannot reach the keep
    box, show_again = dialog.kept_box, dialog.show_again_button
    assert dialog.status_label.text() == (
        "Checked 14 images. 1 finding you kept is listed only with Show kept."
    )
    assert not [t for t in _texts(dialog) if issue in t] and not dialog.undo_button.isEnabled()
    box.click()
    assert box.isChecked() and not show_again.isHidden() and not show_again.isEnabled()
    texts = _texts(dialog)
    kept = [k for k, t in enumerate(texts) if t.startswith("Kept: ")]
    assert len(kept) == 1 and texts[kept[0]].startswith(f"Kept: {issue}"), texts
    dialog.list.item(kept[0]).setSelected(True)
    assert show_again.isEnabled() and not dialog.keep_button.isEnabled()
    assert dialog.exclude_button.isEnabled() and dialog.move_button.isEnabled()

    show_again.click()
    assert dialog.status_label.text().startswith(f"Shown again: {issue}")
    assert _kept_on_disk(dataset) == []
    chosen = dialog.list.selectedItems()  # the same row, no longer marked
    assert len(chosen) == 1 and chosen[0].text().startswith(issue)
    assert not box.isChecked() and box.text() == "Show kept (0)" and not box.isEnabled()
    assert show_again.isHidden() and dialog.keep_button.isEnabled()

    assert dialog.undo_button.toolTip() == "Undo keeps the finding again"
    dialog.undo_button.click()
    assert dialog.status_label.text() == "Undo: kept the finding again."
    assert len(_kept_on_disk(dataset)) == 1
    assert not [t for t in _texts(dialog) if issue in t] and box.text() == "Show kept (1)"
