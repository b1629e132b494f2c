"""Help ▸ Quick start and Help ▸ Keyboard shortcuts: the README's first steps and every
shortcut, inside the window (a new user should not need the repository to begin)."""

from __future__ import annotations

import html

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from core.command_name import command_line
from gui.widgets.accessible import describe

QUICK_START = """
<h3>Train your first classifier in four steps</h3>
<ol>
<li><b>Data</b> (Ctrl+1): choose a folder with one subfolder per class, for example
<code>flowers/daisy</code>, <code>flowers/rose</code>, … (<i>Browse…</i>, type its path, or drop
the folder onto the window). Loupe checks every image and says what it cannot use.</li>
<li><b>Train</b> (Ctrl+2): leave the settings on <i>auto</i> or pick a preset, then press
<i>Train</i> (Ctrl+Return). Curves, sample predictions and the confusion matrix update live;
<i>Pause</i> and <i>Stop</i> keep the best model so far.</li>
<li><b>Runs</b> (Ctrl+3): every run of the workspace, with its curves and matrix. Ctrl+click
several runs to compare them; <i>Resume / extend…</i> continues a run.</li>
<li><b>Classify</b> (Ctrl+4): the model just trained is already chosen; pick a folder of new
images and press <i>Classify</i>. Filter the results, export them as CSV or JSON, or sort the
files into one folder per class (<i>Undo sort</i> reverses it).</li>
</ol>
<p>The same from a terminal: <code>{train}</code>, then <code>{classify}</code>;
<code>{help}</code> lists every command.</p>
"""


def quick_start_html() -> str:
    """QUICK_START with the commands this installation runs (python main.py from source, the
    bundle's own executable when installed)."""
    return QUICK_START.format(
        train=html.escape(command_line("train", "DATA_DIR", "--out", "RUN_DIR")),
        classify=html.escape(
            command_line("classify", "RUN_DIR", "IMAGES_DIR", "--out", "results.csv")
        ),
        help=html.escape(command_line("--help")),
    )


# Keys and clicks that live on widgets rather than in the menus (those are read from the
# menus). What the widgets really do: tests/gui/test_help_menu.py tries the tiles' ones,
# tests/gui/test_keyboard.py the others.
WIDGET_SHORTCUTS = (
    ("Tab, Shift+Tab", "Move to the next or previous control, top to bottom, left to right"),
    ("Up, Down", "In the list of pages on the left: the previous or next page"),
    ("Return, Space", "Press the button that has the focus"),
    ("Ctrl+Tab", "Train, Runs: the next tab (Ctrl+Shift+Tab: the previous one)"),
    ("Ctrl+Return", "Train: start training with the settings shown"),
    ("Return", "Data, Classify: load the folder typed in the field"),
    (
        "Click",
        "A validation prediction (Train) or a result (Classify): the image large, top 5 classes",
    ),
    ("Arrow keys", "Train, Classify: move between the image tiles"),
    ("Return, Space", "Train, Classify: show the current tile's image large"),
    ("Ctrl/Shift+click", "Classify: select several results (right-click: add them to the dataset)"),
    ("Shift+arrow keys", "Classify: select several results"),
    ("Shift+F10, Menu", "Classify, Runs: the context menu of the current result or run"),
    ("Click", "A confusion-matrix cell: its images (Train), its mistakes (Runs ▸ Test)"),
    ("Return, Space", "The current confusion-matrix cell: as a click"),
    ("Return", "The image shown large: the heat map of the current class in its list"),
    ("Ctrl+click", "Runs: select several runs to compare their curves"),
    ("Delete", "Runs: move the selected runs to the trash"),
    ("Escape", "Close a dialog or the image shown large"),
)


def menu_shortcuts(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what) of every menu action that has a shortcut, in menu order."""
    rows = []
    for action in window.findChildren(QAction):
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys and action.text():
            rows.append((keys, action.text().replace("&", "").rstrip("…")))
    return rows


def shortcuts_html(window: QWidget) -> str:
    rows = [*menu_shortcuts(window), *WIDGET_SHORTCUTS]
    cells = "".join(
        f"<tr><td style='padding:2px 16px 2px 0'><b>{html.escape(k)}</b></td>"
        f"<td>{html.escape(w)}</td></tr>"
        for k, w in rows
    )
    return f"<h3>Keyboard shortcuts</h3><table>{cells}</table>"


class HelpDialog(QDialog):
    def __init__(self, parent: QWidget | None, title: str, text: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("helpDialog")
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(text)
        describe(self.browser, title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(560, 460)
