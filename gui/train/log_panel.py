"""Read-only run log: timestamped lines, warnings and errors coloured, bounded in size."""

from __future__ import annotations

import html
import time

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from core.events import LogMessage
from gui.widgets.accessible import describe

MAX_LINES = 5000  # older lines drop off: a week-long run must not grow memory forever
LEVEL_STYLES = {
    "debug": "color:#888888;",
    "info": "",
    "warning": "color:#b35c00; font-weight:bold;",
    "error": "color:#c62828; font-weight:bold;",
}


class LogPanel(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("logPanel")
        describe(self, "Training log")
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("Messages from the training run appear here.")

    def append(self, level: str, text: str) -> None:
        """Add one message. Follows the end unless the user scrolled up to read."""
        bar = self.verticalScrollBar()
        following = bar.value() >= bar.maximum() - 2
        previous = bar.value()
        stamp = time.strftime("%H:%M:%S")
        level = level.lower()
        label = "" if level == "info" else f"{level.upper()}: "
        body = html.escape(text).replace("\n", "<br>")
        style = LEVEL_STYLES.get(level, "")
        self.appendHtml(
            f'<span style="color:#777777;">{stamp}</span>&nbsp;&nbsp;'
            f'<span style="{style}">{html.escape(label)}{body}</span>'
        )
        bar.setValue(bar.maximum() if following else previous)

    def append_message(self, message: LogMessage) -> None:
        self.append(message.level, message.text)


def _demo() -> LogPanel:
    from gui.demo.demo_data import demo_log

    panel = LogPanel()
    for message in demo_log():
        panel.append_message(message)
    panel.append("info", "A message\nover two lines <with> markup-like & text.")
    panel.resize(640, 220)
    return panel


if __name__ == "__main__":
    from gui.demo.demo_app import run_demo

    run_demo(_demo, "LogPanel demo")
