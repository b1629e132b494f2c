"""Help menu: quick start and keyboard shortcuts, not only About."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.helpers import make_window


def _help_actions(window) -> dict:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    return {a.text().replace("&", ""): a for a in menu.actions() if a.text()}


def test_help_offers_quick_start_and_shortcuts(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    actions = _help_actions(window)
    assert list(actions) == ["Quick start", "Keyboard shortcuts", "About Loupe"]
    actions["Quick start"].trigger()
    quick = window.findChild(type(window.show_quick_start()), "helpDialog")
    text = quick.browser.toPlainText()
    assert "Data" in text and "Train" in text and "Classify" in text and "Ctrl+Return" in text
    shortcuts = window.show_shortcuts().browser.toPlainText()
    # Read from the menus themselves, so a new menu shortcut appears without editing a list.
    for keys, what in (("Ctrl+1", "Data"), ("Ctrl+4", "Classify"), ("Ctrl+O", "Open dataset")):
        assert keys in shortcuts and what in shortcuts, (keys, shortcuts)
    assert "Ctrl+Return" in shortcuts and "Delete" in shortcuts


def test_quick_start_shows_the_command_this_installation_runs(monkeypatch, tmp_path):
    import sys

    from gui.help_dialogs import quick_start_html

    monkeypatch.delattr(sys, "frozen", raising=False)
    assert "<code>python main.py train DATA_DIR --out RUN_DIR</code>" in quick_start_html()
    bundled = tmp_path / "Loupe" / "Loupe"  # an unpacked, not installed, Linux bundle
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundled))
    monkeypatch.setenv("PATH", str(tmp_path))
    text = quick_start_html()
    assert f"<code>{bundled} classify RUN_DIR IMAGES_DIR --out results.csv</code>" in text
    assert f"<code>{bundled} --help</code>" in text and "main.py" not in text


def _open_by_click_then_keys(qtbot, view, titles) -> list[str]:
    """Click the first tile, then Right, Return, then Right, Space: the titles the detail
    showed."""
    seen = []
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.visualRect(view.model().index(0, 0)).center(),
    )
    seen.append(titles())
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    seen.append(titles())
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    seen.append(titles())
    return seen


def test_the_shortcuts_help_says_what_a_click_and_the_keys_do_to_tiles(qtbot):
    """It said a double-click opens a tile, where a click does, and left out the arrow keys
    and Return (and Space) that move between tiles and open the current one; both grids are
    tried here."""
    from core.infer.results import ClassifiedImage
    from gui.classify.classify_job import ResultsBatch
    from gui.classify.classify_view import ClassifyView
    from gui.demo.demo_data import demo_class_names, demo_predictions
    from gui.help_dialogs import WIDGET_SHORTCUTS
    from gui.train.predictions_pane import PredictionsPane

    said = dict((what, keys) for keys, what in WIDGET_SHORTCUTS)
    assert not any("Double-click" in keys for keys in said.values())
    assert said[
        "A validation prediction (Train) or a result (Classify): the image large, top 5 classes"
    ] == ("Click")
    assert said["Train, Classify: move between the image tiles"] == "Arrow keys"
    assert said["Train, Classify: show the current tile's image large"] == "Return, Space"

    classify = ClassifyView()
    qtbot.addWidget(classify)
    classify.resize(1000, 600)
    classify.show()
    qtbot.waitExposed(classify)
    top = (("cat", 0.9), ("dog", 0.1))
    results = [ClassifiedImage(f"/photos/img_{i}.jpg", "cat", 0.9, top) for i in range(6)]
    classify.on_event(ResultsBatch(results=results))
    grid = classify.results_view
    qtbot.waitUntil(lambda: grid.visualRect(grid.model().index(5, 0)).isValid())
    seen = _open_by_click_then_keys(qtbot, grid, lambda: classify._detail.title.text())
    assert seen == ["img_0.jpg", "img_1.jpg", "img_2.jpg"]
    assert said["Close a dialog or the image shown large"] == "Escape"
    qtbot.keyClick(classify._detail, Qt.Key.Key_Escape)
    assert not classify._detail.isVisible()
    classify.shutdown()

    pane = PredictionsPane()
    qtbot.addWidget(pane)
    pane.resize(700, 500)
    pane.show()
    qtbot.waitExposed(pane)
    pane.set_predictions(demo_predictions(demo_class_names(3), count=6))
    seen = _open_by_click_then_keys(qtbot, pane.grid, lambda: pane.detail_dialog().title.text())
    assert seen == ["img_0000.jpg", "img_0001.jpg", "img_0002.jpg"]
