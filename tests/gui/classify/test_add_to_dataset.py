""" "Add to dataset as <class>…" copies the selected results into the model's training data,
never overwriting; "Undo sort" removes the copies again."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel

from core.files.add_to_dataset import training_data_dir
from gui.classify.results_model import ResultRole
from tests.core.image_factory import make_shapes_dataset
from tests.gui.classify.classify_helpers import CLASSES, classify, sha256, tree_checksums


def _select_rows(view, rows) -> None:
    selection = view.results_view.selectionModel()
    selection.clear()
    for row in rows:
        selection.select(view.proxy.index(row, 0), QItemSelectionModel.SelectionFlag.Select)


def test_add_selected_to_the_training_data_then_undo(qtbot, view, workspace, tmp_path):
    data_dir = training_data_dir(str(workspace / "shapes-run"))
    assert data_dir  # the run's config.json names the dataset it was trained on
    data = type(tmp_path)(data_dir)
    before = tree_checksums(data)
    src = make_shapes_dataset(tmp_path / "src", CLASSES, per_class=2, size=40, seed=3)
    classify(qtbot, view, src)

    def taken_first(row: int) -> bool:  # circle_000.png: a name the dataset already has
        return "circle_000" not in view.proxy.index(row, 0).data(ResultRole).path

    _select_rows(view, sorted(range(view.proxy.rowCount()), key=taken_first)[:3])
    chosen = view.add_to_dataset.selected_paths()
    assert len(chosen) == 3

    menu = view.add_to_dataset.build_menu()
    sub = menu.actions()[0].menu()
    assert sub.title() == "Add 3 images to dataset as"
    assert [a.text() for a in sub.actions()] == [f"{c}…" for c in CLASSES]
    sub.actions()[0].trigger()  # "circle…"
    runner = view.add_to_dataset.runner
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)
    assert "Copied 3 images" in view.status_label.text()
    added = {k: v for k, v in tree_checksums(data).items() if k not in before}
    expected = {}
    for path in map(type(tmp_path), chosen):
        name = f"circle/{path.name}"
        # A name the dataset already has is never overwritten: the copy gets " (1)".
        name = f"circle/{path.stem} (1){path.suffix}" if name in before else name
        expected[name] = sha256(path)
    assert any(" (1)" in name for name in expected)  # src/circle/circle_000.png is taken
    assert {k: v for k, v in added.items() if not k.startswith(".loupe-add-")} == expected
    assert {k: v for k, v in tree_checksums(data).items() if k in before} == before

    assert view.undo_sort_button.isEnabled()
    undo = view.undo_last_sort()
    qtbot.waitUntil(lambda: not undo.is_running(), timeout=30000)
    after = {k: v for k, v in tree_checksums(data).items() if not k.startswith(".loupe-add-")}
    assert after == before


def test_unknown_dataset_asks_for_a_folder(qtbot, view, photos, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    classify(qtbot, view, photos[0])
    _select_rows(view, [0])
    monkeypatch.setattr("gui.classify.add_to_dataset_menu.training_data_dir", lambda _p: "")
    target = tmp_path / "chosen"
    target.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(target))
    runner = view.add_to_dataset.add_selected("square")
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)
    assert len(list((target / "square").iterdir())) == 1
