"""Help menu: quick start and keyboard shortcuts, not only About."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

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
