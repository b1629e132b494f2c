"""The thumbnail grid of classification results: one QListView over the results model and a
delegate that paints each tile. No widget per image, so 50,000 results cost no more to show
than the few dozen tiles on screen.

A tile: the thumbnail (a placeholder until it is decoded off-thread), the file name, the
predicted class with a colour dot, and the confidence as text and as a bar. Images below the
unsure threshold get an amber dashed border and an "unsure" badge."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from gui.widgets.results_model import (
    UNSURE,
    ConfidenceRole,
    LabelRole,
    ResultRole,
    ResultsFilterModel,
    ResultsModel,
    UnsureRole,
)
from gui.widgets.thumbnail_cache import DEFAULT_SIZE

PADDING = 6  # px inside the tile border
TEXT_LINES = 2  # file name, then class + confidence
BAR_HEIGHT = 4  # px, the confidence bar under the text

CARD_BACKGROUND = QColor(255, 255, 255)
CARD_BORDER = QColor(208, 208, 208)
PLACEHOLDER = QColor(236, 236, 236)
PLACEHOLDER_TEXT = QColor(150, 150, 150)
NAME_TEXT = QColor(90, 90, 90)
UNSURE_COLOR = QColor(230, 140, 0)  # amber: "look at this one"
UNSURE_BACKGROUND = QColor(255, 248, 225)
CONFIDENT_BAR = QColor(56, 142, 60)
# Tableau-like colours, one per class in model order: the same class always has one colour.
CLASS_COLORS = [
    QColor(c)
    for c in (
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    )
]  # fmt: skip

Index = QModelIndex | QPersistentModelIndex


class ResultTileDelegate(QStyledItemDelegate):
    def __init__(self, thumbnail_size: int = DEFAULT_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail_size = thumbnail_size
        self.class_order: dict[str, int] = {}

    def set_class_names(self, names: list[str]) -> None:
        self.class_order = {name: i for i, name in enumerate(names)}

    def class_color(self, label: str) -> QColor:
        index = self.class_order.get(label)
        if index is None:
            index = sum(map(ord, label))  # a label the model does not list: stable anyway
        return CLASS_COLORS[index % len(CLASS_COLORS)]

    def tile_size(self, font: QFont) -> QSize:
        line = QFontMetrics(font).height()
        width = self.thumbnail_size + 2 * PADDING
        height = self.thumbnail_size + 3 * PADDING + TEXT_LINES * line + BAR_HEIGHT + 2
        return QSize(width, height)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        # Never asks the model for the thumbnail: sizing must not trigger decodes.
        return self.tile_size(option.font)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRect(option.rect).adjusted(1, 1, -1, -1)
        unsure = bool(index.data(UnsureRole))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        self._paint_card(painter, rect, option, unsure, selected)

        size = self.thumbnail_size
        thumb_rect = QRect(rect.left() + PADDING - 1, rect.top() + PADDING - 1, size, size)
        self._paint_thumbnail(painter, thumb_rect, index.data(Qt.ItemDataRole.DecorationRole))
        if unsure:
            self._paint_badge(painter, thumb_rect, option.font)

        fm = QFontMetrics(option.font)
        line = fm.height()
        text_left = thumb_rect.left()
        text_width = size
        y = thumb_rect.bottom() + 1 + PADDING // 2
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.setPen(NAME_TEXT)
        painter.setFont(option.font)
        name_rect = QRect(text_left, y, text_width, line)
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(name, Qt.TextElideMode.ElideMiddle, text_width),
        )

        y += line
        label = str(index.data(LabelRole) or "")
        confidence = float(index.data(ConfidenceRole) or 0.0)
        self._paint_label_line(
            painter, QRect(text_left, y, text_width, line), option, label, confidence
        )

        y += line + 2
        self._paint_bar(painter, QRect(text_left, y, text_width, BAR_HEIGHT), confidence, unsure)
        painter.restore()

    # -- parts ---------------------------------------------------------------------------
    @staticmethod
    def _paint_card(
        painter: QPainter, rect: QRect, option: QStyleOptionViewItem, unsure: bool, selected: bool
    ) -> None:
        background = UNSURE_BACKGROUND if unsure else CARD_BACKGROUND
        if selected:
            border = QPen(option.palette.color(QPalette.ColorRole.Highlight), 3)
        elif unsure:
            border = QPen(UNSURE_COLOR, 2, Qt.PenStyle.DashLine)
        else:
            border = QPen(CARD_BORDER, 1)
        painter.setPen(border)
        painter.setBrush(background)
        painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)

    @staticmethod
    def _paint_thumbnail(painter: QPainter, rect: QRect, image: Any) -> None:
        if image is None or image.isNull():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(PLACEHOLDER)
            painter.drawRect(rect)
            if image is not None:  # decoded and failed: say so rather than spin forever
                painter.setPen(PLACEHOLDER_TEXT)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "no preview")
            return
        target = QRect(0, 0, image.width(), image.height())
        if image.width() > rect.width() or image.height() > rect.height():
            target.setSize(image.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio))
        target.moveCenter(rect.center())
        painter.drawImage(target, image)

    @staticmethod
    def _paint_badge(painter: QPainter, thumb_rect: QRect, font: QFont) -> None:
        badge_font = QFont(font)
        badge_font.setBold(True)
        badge_font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        fm = QFontMetrics(badge_font)
        text = "unsure"
        badge = QRect(
            thumb_rect.left() + 3,
            thumb_rect.top() + 3,
            fm.horizontalAdvance(text) + 10,
            fm.height() + 2,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(UNSURE_COLOR)
        painter.drawRoundedRect(QRectF(badge), 3, 3)
        painter.setPen(QColor(255, 255, 255))
        painter.setFont(badge_font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_label_line(
        self,
        painter: QPainter,
        rect: QRect,
        option: QStyleOptionViewItem,
        label: str,
        confidence: float,
    ) -> None:
        percent = f"{confidence * 100:.0f} %" if confidence == confidence else "?"
        plain = QFontMetrics(option.font)
        percent_width = plain.horizontalAdvance(percent)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.setFont(option.font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, percent)

        dot = max(6, plain.height() // 2)
        dot_rect = QRect(rect.left(), rect.center().y() - dot // 2, dot, dot)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.class_color(label))
        painter.drawEllipse(dot_rect)

        bold = QFont(option.font)
        bold.setBold(True)
        fm = QFontMetrics(bold)
        left = dot_rect.right() + 5
        width = rect.right() - left - percent_width - 4
        painter.setFont(bold)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            QRect(left, rect.top(), max(0, width), rect.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(label, Qt.TextElideMode.ElideRight, max(0, width)),
        )

    @staticmethod
    def _paint_bar(painter: QPainter, rect: QRect, confidence: float, unsure: bool) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PLACEHOLDER)
        painter.drawRoundedRect(QRectF(rect), 2, 2)
        if confidence == confidence and confidence > 0:
            filled = QRectF(rect)
            filled.setWidth(rect.width() * min(confidence, 1.0))
            painter.setBrush(UNSURE_COLOR if unsure else CONFIDENT_BAR)
            painter.drawRoundedRect(filled, 2, 2)


class ResultsView(QListView):
    """Icon-mode list of result tiles; `resultActivated(ClassifiedImage)` on click or Enter."""

    resultActivated = Signal(object)

    def __init__(self, thumbnail_size: int = DEFAULT_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.delegate = ResultTileDelegate(thumbnail_size, self)
        self.setItemDelegate(self.delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        # IconMode defaults to Free movement, which keeps a position per item (slow at 50,000);
        # Static uses the row/column flow layout, computed in O(1) per row for uniform sizes.
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setSpacing(5)
        self.setGridSize(QSize())  # tiles sized by the delegate
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(32)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(False)
        self.setMouseTracking(False)
        self.empty_text = "No results yet."
        self.clicked.connect(self._on_index_activated)
        self.activated.connect(self._on_index_activated)

    def set_class_names(self, names: list[str]) -> None:
        self.delegate.set_class_names(names)
        self.viewport().update()

    def set_empty_text(self, text: str) -> None:
        self.empty_text = text
        self.viewport().update()

    def tile_size(self) -> QSize:
        return self.delegate.tile_size(self.font())

    def visible_rows(self) -> range:
        """Rows whose tiles intersect the viewport (for tests and prefetching)."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return range(0)
        first = self.indexAt(self.viewport().rect().topLeft() + self._inset())
        last = self.indexAt(self.viewport().rect().bottomRight() - self._inset())
        start = first.row() if first.isValid() else 0
        stop = last.row() + 1 if last.isValid() else model.rowCount()
        return range(start, stop)

    def _inset(self) -> QPoint:
        return QPoint(self.spacing() + 2, self.spacing() + 2)

    def _on_index_activated(self, index: QModelIndex) -> None:
        result = index.data(ResultRole)
        if result is not None:
            self.resultActivated.emit(result)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is None or model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(PLACEHOLDER_TEXT)
            painter.drawText(
                self.viewport().rect().adjusted(20, 20, -20, -20),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )


SORT_CHOICES = [  # (label, key, descending)
    ("File name (A → Z)", "name", False),
    ("File name (Z → A)", "name", True),
    ("Confidence (low → high)", "confidence", False),
    ("Confidence (high → low)", "confidence", True),
]


def _percent_spin(parent: QWidget, name: str, value: float, tooltip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setObjectName(name)
    spin.setRange(0.0, 100.0)
    spin.setDecimals(0)
    spin.setSingleStep(5.0)
    spin.setSuffix(" %")
    spin.setValue(value)
    spin.setToolTip(tooltip)
    spin.setKeyboardTracking(False)  # filter once the number is typed, not per keystroke
    return spin


class ResultsFilterBar(QWidget):
    """Class filter, confidence range, unsure threshold, sort order and "Showing N of M"."""

    def __init__(
        self, source: ResultsModel, proxy: ResultsFilterModel, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.source = source
        self.proxy = proxy

        self.class_combo = QComboBox(self)
        self.class_combo.setObjectName("classFilterCombo")
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_combo.setMinimumContentsLength(12)
        self.class_combo.setToolTip("Show one predicted class, or the unsure images of every class")
        self.min_spin = _percent_spin(
            self, "minConfidenceSpin", 0, "Hide images below this confidence"
        )
        self.max_spin = _percent_spin(
            self, "maxConfidenceSpin", 100, "Hide images above this confidence"
        )
        self.unsure_spin = _percent_spin(
            self,
            "unsureThresholdSpin",
            source.unsure_threshold * 100,
            "Images below this confidence count as unsure: amber tiles, the “Unsure” filter, "
            "and the “_unsure” folder when sorting",
        )
        self.sort_combo = QComboBox(self)
        self.sort_combo.setObjectName("sortCombo")
        for label, key, descending in SORT_CHOICES:
            self.sort_combo.addItem(label, (key, descending))
        self.count_label = QLabel(self)
        self.count_label.setObjectName("resultsCountLabel")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for text, widget in (
            ("Class:", self.class_combo),
            ("Confidence:", self.min_spin),
            ("to", self.max_spin),
            ("Unsure below:", self.unsure_spin),
            ("Sort:", self.sort_combo),
        ):
            label = QLabel(text, self)
            label.setBuddy(widget)
            layout.addSpacing(6)
            layout.addWidget(label)
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.count_label)

        self.class_combo.currentIndexChanged.connect(self._on_class_changed)
        self.min_spin.valueChanged.connect(self._on_range_changed)
        self.max_spin.valueChanged.connect(self._on_range_changed)
        self.unsure_spin.valueChanged.connect(
            lambda value: source.set_unsure_threshold(value / 100.0)
        )
        self.sort_combo.currentIndexChanged.connect(self._on_sort_changed)
        # Counts change with every streamed batch: refresh at most every 150 ms.
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(150)
        self._refresh.timeout.connect(self.refresh)
        for signal in (source.classesChanged, source.unsureThresholdChanged, proxy.rowsInserted,
                       proxy.modelReset, proxy.filterChanged):  # fmt: skip
            signal.connect(self._schedule_refresh)
        self.refresh()

    def _schedule_refresh(self, *_args: Any) -> None:
        if not self._refresh.isActive():
            self._refresh.start()

    def refresh(self) -> None:
        """Class list with counts, and the "Showing N of M" line."""
        counts = self.source.label_counts()
        total = self.source.rowCount()
        wanted: list[tuple[str, Any]] = [(f"All classes ({total:,})", None)]
        wanted += [(f"{name} ({counts.get(name, 0):,})", name) for name in self.source.labels()]
        wanted.append((f"Unsure ({self.source.unsure_count():,})", UNSURE))
        combo = self.class_combo
        current = combo.currentData()
        same_values = [combo.itemData(i) for i in range(combo.count())] == [v for _, v in wanted]
        combo.blockSignals(True)
        if not same_values:
            combo.clear()
            for text, value in wanted:
                combo.addItem(text, value)
        else:
            for i, (text, _) in enumerate(wanted):
                combo.setItemText(i, text)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
        if combo.currentData() != self.proxy.class_filter:  # the filtered class vanished
            self.proxy.set_class_filter(combo.currentData())
        shown = self.proxy.rowCount()
        self.count_label.setText(f"Showing {shown:,} of {total:,}" if total else "No results")

    def set_class_filter(self, value: str | None) -> None:
        self.refresh()
        index = self.class_combo.findData(value) if value is not None else 0
        if index >= 0:
            self.class_combo.setCurrentIndex(index)

    def _on_class_changed(self, _index: int) -> None:
        self.proxy.set_class_filter(self.class_combo.currentData())

    def _on_range_changed(self, _value: float) -> None:
        low, high = self.min_spin.value(), self.max_spin.value()
        if low > high:  # keep the range valid: move the other end
            other = self.max_spin if self.sender() is self.min_spin else self.min_spin
            other.blockSignals(True)
            other.setValue(low if other is self.max_spin else high)
            other.blockSignals(False)
            low, high = self.min_spin.value(), self.max_spin.value()
        self.proxy.set_confidence_range(low / 100.0, high / 100.0)

    def _on_sort_changed(self, _index: int) -> None:
        key, descending = self.sort_combo.currentData()
        self.proxy.set_sort(key, descending)
