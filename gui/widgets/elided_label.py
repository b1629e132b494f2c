"""A one-line label that never wraps or widens its window: the long part of its text (a
folder path) is shortened in the middle to fit, and the full text is in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.widgets.roles import set_role

MIN_ELIDED_SHARE = 0.4


class ElidedLabel(QLabel):
    """`set_parts(fixed, elided)`: `elided` loses characters in its middle (paths differ at
    their ends: "/tmp/lo…/20261128-shapes"); `fixed` is shown whole while the line allows,
    then loses its end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fixed = ""
        self._elided = ""
        self.setWordWrap(False)
        self.setTextFormat(Qt.TextFormat.PlainText)
        # Ignored: the layout gives the label the width there is, the text adapts to it.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_parts(self, fixed: str, elided: str = "") -> None:
        self._fixed, self._elided = fixed, elided
        self.setToolTip(fixed + elided)  # the whole line, whatever had to go
        self._elide()

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name, so it swaps in
        """All of `text` may be shortened (at its end, between words)."""
        self.set_parts(text, "")

    def full_text(self) -> str:
        return self._fixed + self._elided

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        width = self.contentsRect().width() - 2 * self.margin() - 2  # 2 px: no clipped glyph
        fixed_width = metrics.horizontalAdvance(self._fixed)
        # The elided part keeps at least this share of a narrow line: a path cut to "…"
        # says nothing, while the fixed part's end can go.
        elided_width = min(
            metrics.horizontalAdvance(self._elided),
            max(width - fixed_width, int(width * MIN_ELIDED_SHARE)),
        )
        fixed = _cut_at_a_word(self._fixed, metrics, width - elided_width)
        tail = metrics.elidedText(self._elided, Qt.TextElideMode.ElideMiddle, elided_width)
        super().setText(fixed + tail)


def _cut_at_a_word(text: str, metrics: QFontMetrics, width: int) -> str:
    """`text` if it fits, else its longest start that ends between words, then "… ": never
    "60 validation im…" (a word cut in half reads as a different word)."""
    if metrics.horizontalAdvance(text) <= width:
        return text
    ellipsis = "… "
    cut = text
    while cut:
        space = cut.rstrip().rfind(" ")
        cut = cut[:space].rstrip(" ·/,") if space > 0 else ""
        if cut and metrics.horizontalAdvance(cut + ellipsis) <= width:
            return cut + ellipsis
    return ""


class ElidedLines(QWidget):
    """A fixed number of ElidedLabel lines: `setText("line 1\nline 2")` never changes the
    widget's height (a second line appearing pushed the field below it under the cursor)
    and never widens the window; the full text is in the tooltip."""

    def __init__(self, lines: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.lines = [ElidedLabel(self) for _ in range(lines)]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for label in self.lines:
            layout.addWidget(label)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name, so it swaps in
        self._text = text
        parts = text.split("\n")
        for index, label in enumerate(self.lines):
            last = index == len(self.lines) - 1
            label.set_parts(
                " ".join(parts[index:]) if last else (parts[index : index + 1] or [""])[0]
            )
        self.setToolTip(text)

    def text(self) -> str:
        return self._text

    def set_role(self, role: str) -> None:
        for label in self.lines:
            set_role(label, role)
