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
