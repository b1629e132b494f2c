"""The main window's menu bar: File (open a dataset, choose the workspace, quit), View (one
entry per page, Ctrl+1..4) and Help (quick start, keyboard shortcuts, About)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from gui.navigation import PAGES


def build_menus(
    window: QMainWindow,
    *,
    open_dataset: Callable[[], None],
    choose_workspace: Callable[[], None],
    show_page: Callable[[int], None],
    show_about: Callable[[], object],
    show_quick_start: Callable[[], object],
    show_shortcuts: Callable[[], object],
    get_sample: Callable[[], object] | None = None,
) -> None:
    def action(text: str, slot: Callable[[], object], shortcut: QKeySequence | None = None):
        item = QAction(text, window)
        if shortcut is not None:
            item.setShortcut(shortcut)
        item.triggered.connect(lambda _checked=False: slot())
        return item

    file_menu = window.menuBar().addMenu("&File")
    file_menu.addAction(
        action("&Open dataset folder…", open_dataset, QKeySequence(QKeySequence.StandardKey.Open))
    )
    if get_sample is not None:
        file_menu.addAction(action("Get a &sample dataset…", get_sample))
    file_menu.addAction(action("Choose &workspace folder…", choose_workspace))
    file_menu.addSeparator()
    file_menu.addAction(action("&Quit", window.close, QKeySequence(QKeySequence.StandardKey.Quit)))

    view_menu = window.menuBar().addMenu("&View")
    for index, name in enumerate(PAGES):
        view_menu.addAction(
            action(name, lambda i=index: show_page(i), QKeySequence(f"Ctrl+{index + 1}"))
        )

    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction(
        action(
            "&Quick start", show_quick_start, QKeySequence(QKeySequence.StandardKey.HelpContents)
        )
    )
    help_menu.addAction(action("&Keyboard shortcuts", show_shortcuts))
    help_menu.addSeparator()
    help_menu.addAction(action("&About Loupe", show_about))
