"""A one-line label that never wraps or widens its window: the long part of its text (a
folder path) is shortened in the middle to fit, and the full text is in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

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
        self.setToolTip(elided or fixed)
        self._elide()

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
        fixed = metrics.elidedText(self._fixed, Qt.TextElideMode.ElideRight, width - elided_width)
        tail = metrics.elidedText(self._elided, Qt.TextElideMode.ElideMiddle, elided_width)
        super().setText(fixed + tail)
