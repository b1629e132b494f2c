"""The thumbnail grid of classification results: one QListView over the results model and a
delegate that paints each tile (gui.classify.result_tiles). No widget per image, so 50,000
results cost no more to show than the few dozen tiles on screen.

Also here: `UnreadableFiles`, the collapsible list of files that could not be read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QPainter,
    QPaintEvent,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from core.infer.results import UnreadableImage
from gui.classify.result_tiles import PLACEHOLDER_TEXT, ResultTileDelegate
from gui.classify.results_model import ResultRole
from gui.widgets.accessible import ItemViewKeys, describe
from gui.widgets.frame_pacer import shared_pacer
from gui.widgets.grid_fit import fitted_cell
from gui.widgets.thumbnail_cache import DEFAULT_SIZE

LAYOUT_BATCH = 200  # rows laid out per event-loop turn
FILTERED_OUT_TEXT = "No results match the filters."
_SELECTING = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


class ResultsView(QListView):
    """Icon-mode list of result tiles; `resultActivated(ClassifiedImage)` on a click, Return
    or Space.
    When its (filter) model hides every result of its source, it says so and offers "Show
    all": `showAllRequested()`."""

    resultActivated = Signal(object)
    showAllRequested = Signal()

    def __init__(self, thumbnail_size: int = DEFAULT_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsView")
        describe(self, "Classified images")
        # Space opens the current image as Return does; Shift+F10 or Menu: its context menu.
        self.keys = ItemViewKeys(self)
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
        # Laid out a slice of rows per event-loop turn: QListView lays out every row again after
        # each batch of results, ~5 us a row (it asks the model for each row's index), and
        # 2,000 rows at once held the window 10 ms while classifying.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)
        self.setSpacing(5)
        # Ctrl/Shift+click selects several images for "Add to dataset as" (the context menu).
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(32)
        # Tiles wrap to the width: a horizontal bar (seen at 6,000 results while the batched
        # layout caught up) has nothing to scroll to.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(False)
        self.setMouseTracking(False)
        self.empty_text = "No results yet."
        self._unrendered = QRegion()  # tiles a frame left to the next ones
        # Results there, but a filter hides all of them: a way back (over the empty grid).
        self.show_all_button = QPushButton("Show all", self.viewport())
        self.show_all_button.setObjectName("showAllResultsButton")
        self.show_all_button.setToolTip("Clear the class and confidence filters")
        self.show_all_button.hide()
        self.show_all_button.clicked.connect(self.showAllRequested)
        self.clicked.connect(self._on_index_clicked)
        self.activated.connect(self._on_index_activated)

    def _count_signals(self, model: Any) -> list[Any]:
        """The signals after which the model, or its source, may have rows or none."""
        models = [model, *([model.sourceModel()] if hasattr(model, "sourceModel") else [])]
        return [
            signal
            for m in models
            for signal in (m.modelReset, m.rowsInserted, m.rowsRemoved, m.layoutChanged)
        ]

    def setModel(self, model: Any) -> None:
        old = self.model()
        if old is not None:
            old.modelReset.disconnect(self.delegate.forget_tiles)
            old.rowsAboutToBeInserted.disconnect(self._on_model_rows_about_to_be_inserted)
            old.layoutAboutToBeChanged.disconnect(self._on_model_rows_about_to_be_inserted)
            for signal in self._count_signals(old):
                signal.disconnect(self._update_show_all)
        super().setModel(model)
        if model is not None:
            # A new folder's results: names are relative to another root.
            model.modelReset.connect(self.delegate.forget_tiles)
            model.rowsAboutToBeInserted.connect(self._on_model_rows_about_to_be_inserted)
            model.layoutAboutToBeChanged.connect(self._on_model_rows_about_to_be_inserted)
            for signal in self._count_signals(model):
                signal.connect(self._update_show_all)
        self._update_show_all()

    def filtered_out(self) -> bool:
        """The model shows nothing of a source that has results (a filter hides them all)."""
        model = self.model()
        if model is None or model.rowCount() or not hasattr(model, "sourceModel"):
            return False
        return model.sourceModel().rowCount() > 0

    def _update_show_all(self, *_args: Any) -> None:
        filtered = self.filtered_out()
        if filtered != self.show_all_button.isVisible():
            self.show_all_button.setVisible(filtered)
            self._place_show_all()
            self.viewport().update()

    def _on_model_rows_about_to_be_inserted(self, *_args: Any) -> None:
        # A batch of results moves the tiles after it (or the scroll bar): the grid repaints
        # in its own frame, once for batches that arrive together, not inside the batch's
        # event (where the progress bar's repaint used to flush it with everything else).
        shared_pacer().repaint_later(self)

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
        tiles = self._tiles_in(self.viewport().rect())
        return range(tiles[0][0], tiles[-1][0] + 1) if tiles else range(0)

    def _on_index_clicked(self, index: QModelIndex) -> None:
        # A Ctrl/Shift+click extends the selection; only a plain click opens the image.
        if not QApplication.keyboardModifiers() & _SELECTING:
            self._on_index_activated(index)

    def _on_index_activated(self, index: QModelIndex) -> None:
        result = index.data(ResultRole)
        if result is not None:
            self.resultActivated.emit(result)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_grid()
        super().resizeEvent(event)
        self._place_show_all()

    def _place_show_all(self) -> None:
        """Under the text that says why the grid is empty (drawn in the middle)."""
        button, area = self.show_all_button, self.viewport().rect()
        size = button.sizeHint()
        top = area.center().y() + self.fontMetrics().height()
        button.setGeometry(area.center().x() - size.width() // 2, top, size.width(), size.height())

    def _fit_grid(self) -> None:
        cell = fitted_cell(self, self.tile_size())
        if cell != self.gridSize():
            self.setGridSize(cell)

    def _on_pacer_turn(self) -> bool:
        """Render, within one frame's budget, tiles that a repaint showed as blank cards,
        and repaint just those: repainting every waiting tile at each turn (a blank card
        again for most) cost ~11 ms a frame maximised on 4K while new results streamed in.
        True while tiles are still waiting (another turn)."""
        waiting, self._unrendered = self._unrendered, QRegion()
        model = self.model()
        if model is None or not hasattr(model, "tile") or waiting.isEmpty():
            return False
        self.delegate.tiles.start_frame()
        ratio = self.viewport().devicePixelRatioF()
        rendered = QRegion()
        for row, option in self._tile_options(waiting.boundingRect(), waiting):
            index_of = lambda row=row: model.index(row, 0)  # noqa: E731
            if not self.delegate.render_ahead(option, index_of, model.tile(row), ratio):
                break  # the frame's budget is spent: the rest wait for the next turn
            rendered += option.rect
        self.viewport().update(rendered)
        self._unrendered = waiting.subtracted(rendered)
        return not self._unrendered.isEmpty()

    def paintEvent(self, event: QPaintEvent) -> None:
        self.delegate.tiles.start_frame()
        self._paint_tiles(event)
        if not self.delegate.tiles.deferred.isNull():
            # Tiles left for the next frames: one frame renders only so many, so a jump to a
            # new page of results never stalls the window; the frames are the window's
            # (gui.widgets.frame_pacer), shared with the other live views.
            self._unrendered += self.delegate.tiles.deferred
            if not shared_pacer().is_pending(self):
                shared_pacer().request(self, self._on_pacer_turn)
        text = self.placeholder_text()
        if text:
            painter = QPainter(self.viewport())
            painter.setPen(PLACEHOLDER_TEXT)
            painter.drawText(
                self.viewport().rect().adjusted(20, 20, -20, -20),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                text,
            )

    def placeholder_text(self) -> str:
        """What the grid says in its middle: why it is empty ('' when it shows tiles)."""
        model = self.model()
        if model is not None and model.rowCount():
            return ""
        return FILTERED_OUT_TEXT if self.filtered_out() else self.empty_text

    def _paint_tiles(self, event: QPaintEvent) -> None:
        """QListView's paintEvent, for this grid: the tiles in the event's region, each a
        cached pixmap (result_tiles). QListView called the Python delegate through Qt once
        per tile, with a fresh style option: ~60 us a tile before drawing anything, 15-20 ms
        for the ~260 tiles of a 4K screen at every batch of results. Here a tile that is
        cached costs a lookup and a blit; model indexes are made only for a tile rendered
        anew or when images are selected. (No drop indicator and no rubber band to draw:
        drags are off and the selection rectangle is hidden.)"""
        model = self.model()
        if model is None or not hasattr(model, "tile"):
            super().paintEvent(event)
            return
        painter = QPainter(self.viewport())
        for row, option in self._tile_options(event.rect(), event.region()):
            self.delegate.paint_tile(
                painter, option, lambda row=row: model.index(row, 0), model.tile(row)
            )
        painter.end()

    def _tile_options(self, area: QRect, region: QRegion) -> Iterator[tuple[int, Any]]:
        """(row, style option) of each tile in `area` that meets `region`; one option,
        moved from tile to tile (use it before taking the next)."""
        tiles = self._tiles_in(area)
        if not tiles:
            return
        model = self.model()
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        plain = option.state & ~QStyle.StateFlag.State_Selected
        selected = plain | QStyle.StateFlag.State_Selected
        selection = self.selectionModel()
        any_selected = selection.hasSelection()
        whole = region.rectCount() == 1 and region.boundingRect().contains(area)
        for row, rect in tiles:
            if not whole and not region.intersects(rect):
                continue
            option.rect = rect
            option.state = plain
            if any_selected and selection.isSelected(model.index(row, 0)):
                option.state = selected
            yield row, option

    def _tiles_in(self, area: QRect) -> list[tuple[int, QRect]]:
        """(row, rect) of the tiles that intersect `area` (viewport coordinates).
        Tiles are laid out row by row, so their rectangles' bottoms grow with the row: a
        binary search finds the first. Each line of tiles is one cell width apart, so only
        a line's first tile asks QListView where it is (a call per tile was a tenth of a
        4K repaint). Rows not laid out yet (batched layout) have no rectangle: after the
        others."""
        model = self.model()
        count = model.rowCount()

        def rect_of(row: int) -> QRect:
            return self.visualRect(model.index(row, 0))

        def bottom(row: int) -> int:
            rect = rect_of(row)
            return rect.bottom() if rect.isValid() else 1 << 30

        low, high = 0, count
        while low < high:
            middle = (low + high) // 2
            if bottom(middle) < area.top():
                low = middle + 1
            else:
                high = middle
        if low >= count:
            return []
        first = rect_of(low)
        # The first row found starts a line (a line's tiles share their bottom): count the
        # line's tiles and their spacing once.
        columns, step = 1, 0
        while low + columns < count:
            rect = rect_of(low + columns)
            if not rect.isValid() or rect.top() != first.top():
                break
            step = rect.left() - first.left() if columns == 1 else step
            columns += 1
        tiles = []
        for start in range(low, count, columns):
            line = rect_of(start)
            if not line.isValid() or line.top() > area.bottom():
                break
            for column in range(min(columns, count - start)):
                rect = QRect(line)
                rect.translate(column * step, 0)
                if rect.intersects(area):
                    tiles.append((start + column, rect))
        return tiles


class UnreadableFiles(QObject):
    """Files that could not be classified: a toggle ("4 unreadable files") that shows a list
    with each file's reason. Never an error dialog: a bad file is not a failed run."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.items: list[UnreadableImage] = []
        self.toggle = QToolButton(parent)
        self.toggle.setObjectName("unreadableToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.list = QListWidget(parent)
        self.list.setObjectName("unreadableList")
        describe(self.list, "Unreadable files")
        self.list.setUniformItemSizes(True)
        self.list.setMaximumHeight(140)
        self.list.setVisible(False)
        self.toggle.toggled.connect(self._on_toggled)
        self._update_toggle()

    def clear(self) -> None:
        self.items.clear()
        self.list.clear()
        self._update_toggle()

    def add(self, items: list[UnreadableImage]) -> None:
        self.items.extend(items)
        for item in items:
            entry = QListWidgetItem(f"{os.path.basename(item.path)} — {item.reason}")
            entry.setToolTip(item.path)
            self.list.addItem(entry)
        self._update_toggle()

    def _update_toggle(self) -> None:
        n = len(self.items)
        self.toggle.setText(
            f"{n:,} unreadable file{'' if n == 1 else 's'}" if n else "No unreadable files"
        )
        self.toggle.setEnabled(bool(n))
        if not n:
            self.toggle.setChecked(False)

    def _on_toggled(self, shown: bool) -> None:
        self.list.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
