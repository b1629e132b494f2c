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
    # The copy starts at once: no "…", which would promise a dialog.
    assert [a.text() for a in sub.actions()] == list(CLASSES)
    with qtbot.waitSignal(view.actions.filesChanged, timeout=30000) as changed:
        sub.actions()[0].trigger()  # "circle"
    assert changed.args == [[str(data)]]  # the Data page rescans it (the window connects)
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


def test_one_image_is_counted_in_words(qtbot, view, photos, tmp_path):
    classify(qtbot, view, photos[0])
    _select_rows(view, [0])
    sub = view.add_to_dataset.build_menu().actions()[0].menu()
    assert sub.title() == "Add 1 image to dataset as"
    target = tmp_path / "data"
    make_shapes_dataset(target, CLASSES, per_class=1, size=24, seed=9)
    runner = view.add_to_dataset.add_selected("square", str(target))
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)
    assert "Copied 1 image into" in view.status_label.text()


def test_an_image_the_dataset_already_holds_is_left_out_and_named(qtbot, view, tmp_path):
    # Classifying a folder that holds the dataset's own test images, then adding them, copied
    # test/circle/circle_000.png into train/circle/ as "circle_000 (1).png": a silent leak.
    data = make_shapes_dataset(
        tmp_path / "split", CLASSES, per_class=2, size=32, split=True, test_per_class=1, seed=7
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    leak = inbox / "circle_000.png"
    leak.write_bytes((data / "test" / "circle" / "circle_000.png").read_bytes())
    new = make_shapes_dataset(tmp_path / "new", CLASSES[:1], per_class=1, size=36, seed=11)
    (new / "circle" / "circle_000.png").rename(inbox / "fresh.png")
    before = tree_checksums(data)
    classify(qtbot, view, inbox)
    _select_rows(view, range(view.proxy.rowCount()))
    runner = view.add_to_dataset.add_selected("circle", str(data))
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)

    added = {k for k in tree_checksums(data) if k not in before and ".loupe-add-" not in k}
    assert added == {"train/circle/fresh.png"}  # the test image was not copied into train
    text = view.status_label.text()
    assert "Copied 1 image into" in text
    assert "Left out 1 image the dataset already has" in text
    assert "circle_000.png is test/circle/circle_000.png" in text and "test split" in text
    assert view.status_label.property("role") == "error"  # shown as a warning, in red

    # Only copies selected: nothing is copied, and the page says so.
    rows = range(view.proxy.rowCount())
    _select_rows(
        view, [r for r in rows if view.proxy.index(r, 0).data(ResultRole).path == str(leak)]
    )
    runner = view.add_to_dataset.add_selected("square", str(data))
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=30000)
    assert "Nothing was added" in view.status_label.text()
    assert not (data / "train" / "square" / "circle_000.png").exists()
