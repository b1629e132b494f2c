"""The Check dataset window's list of findings: a QListWidget brought in step with the
review row by row, that knows its rows' heights.

Filling the list anew after every action (Keep, Move to class, Exclude, Show kept, Undo)
froze the window for 50-65 ms at 500 findings, 120-150 ms at 1,500 and 380-430 ms at 5,000
(benchmarks/doctor_list.py): every row was destroyed and made again, and Qt laid out the
word-wrapped text of every row to learn its height, and again whenever any row changed (a
row's picture arriving, a row selected). Now:
- `show_findings` changes only the rows whose finding changed (gone, new, kept, shown
  again, its images moved): an action costs one comparison per row, and the rows that stay
  keep their selection, their picture and their height. Many new rows (a report, Show kept
  on thousands) come SLICE_MS of the GUI thread at a time, the first ones at once;
- every row carries its height (a size hint), so Qt lays the list out without laying out
  any text (~1 µs a row). A new row gets the height of a typical row (text beside a
  picture) at once, and its own (its text laid out at the list's width, as the delegate
  would) soon after: the rows in view at once, the others in slices of SLICE_MS. A new
  width measures every row again the same way;
- only the rows in view, a screen below and a screen above get their pictures (RowStrips
  keeps a bounded number): after an action, as rows are added, and as the list scrolls or
  changes size. A strip for every row held ~420 MB at 5,000 findings.

Why not a QAbstractListModel in Python: Qt asks the model for every row's size each time it
lays the list out, one call into Python per row (8-9 µs: 42 ms for 5,000 rows after every
action, measured); a QListWidgetItem keeps its size hint in C++. Rows are made in Python
and taken out with takeItem: PySide then knows when a row is gone (rows made by
insertItems and deleted in C++ left Python objects that later stood for other objects)."""

from __future__ import annotations

import time
from bisect import bisect_right

from PySide6.QtCore import QItemSelectionModel, QPoint, QSize, Qt, QTimer
from PySide6.QtGui import QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyleOptionViewItem,
    QWidget,
)

from gui.data.doctor_thumbnails import RowStrips, StripKey, strip_key
from gui.data.review_items import SPLIT_WORDS, ReviewItem

ROLE = Qt.ItemDataRole.UserRole  # a row's finding (a ReviewItem)
KEPT_MARK = "Kept: "  # starts a kept finding's row while Show kept lists it
KEPT_TIP = (
    "You kept this finding: it is not listed unless Show kept is on. Show again puts it back "
    "among the open findings."
)
SLICE_MS = 8  # of the GUI thread per slice of adding or measuring rows
CHUNK = 100  # rows inserted between two looks at the clock, ~1 ms
HIDDEN_SCREEN_PX = 600  # a hidden list has no height yet: its view is taken as this tall
Row = tuple[ReviewItem, bool]  # a finding as it is now, and whether it is kept


def row_text(finding: ReviewItem, kept: bool) -> str:
    """What the finding says, then the class (and role) of each of its images."""
    where = ", ".join(
        f"{c} ({SPLIT_WORDS.get(s, s)})" if s else c
        for s, c in zip(finding.splits, finding.labels, strict=False)
    )
    return f"{KEPT_MARK if kept else ''}{finding.text()}\n{where}"


class FindingsList(QListWidget):
    """One row per finding: its words and its images side by side (`strips`); kept findings
    faded, marked KEPT_MARK, with KEPT_TIP as tooltip."""

    def __init__(self, strips: RowStrips, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strips = strips
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setIconSize(QSize(strips.width, strips.side))
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._numbers: list[int] = []  # each row's finding number, in the rows' order
        self._target: list[Row] = []  # what show_findings asked for
        self._left_out = 0  # rows of _target not added yet
        self._shown: dict[int, Row] = {}  # what the row of each finding number shows
        self._unmeasured: set[int] = set()  # finding numbers whose row height is a guess
        self._option: QStyleOptionViewItem | None = None  # measures rows at _width
        self._width = -1
        self._typical = QSize()
        self._worker = QTimer(self)  # adds the rows left out, then measures rows
        self._worker.setInterval(0)
        self._worker.timeout.connect(self._on_worker_timeout)
        self.measured = 0  # rows whose text was laid out to measure them (tests)
        self._changing = False  # rows being added or taken: _numbers is not the rows yet
        self.verticalScrollBar().valueChanged.connect(self._on_scroll_bar_value_changed)

    # ---- the rows -----------------------------------------------------------------------

    def show_findings(self, rows: list[Row]) -> None:
        """List `rows` (in the report's order, as DoctorReviewModel.listed gives them). The
        selection stays on the same findings while they are listed, else moves to the next
        finding still listed (or the last one); the list keeps its scroll position and
        shows the first selected row. Emits no selection signal."""
        chosen = sorted(self._numbers[i.row()] for i in self.selectionModel().selectedIndexes())
        self.blockSignals(True)
        self._update_option()
        self._target = rows
        self._changing = True
        self._remove_rows({finding.number for finding, _kept in rows})
        self._add_and_change_rows(time.perf_counter() + SLICE_MS / 1000)
        self._changing = False
        again = sorted(self.selectionModel().selectedIndexes(), key=lambda i: i.row())
        if not again and chosen and self._numbers:
            below = min(bisect_right(self._numbers, chosen[0]), len(self._numbers) - 1)
            self.item(below).setSelected(True)
            again = [self.model().index(below, 0)]
        if again:
            first = self.itemFromIndex(again[0])
            self.setCurrentItem(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.scrollToItem(first)
        self.blockSignals(False)
        self._measure_some(0.0)  # the rows in view; the others in later slices
        self._want_pictures()
        self._worker.start()

    def stop(self) -> None:
        """The dialog closed: add and measure no more rows."""
        self._left_out = 0
        self._unmeasured.clear()
        self._worker.stop()

    def rows_left_out(self) -> int:
        """Rows shown soon, in a later slice (tests, benchmarks)."""
        return self._left_out

    def _on_worker_timeout(self) -> None:
        deadline = time.perf_counter() + SLICE_MS / 1000
        if self._left_out:
            self._update_option()
            self._changing = True
            self._add_and_change_rows(deadline)
            self._changing = False
            self._want_pictures()
        else:
            self._measure_some(deadline - time.perf_counter())
        if not self._left_out and not (self._unmeasured and self.isVisible()):
            self._worker.stop()

    def _want_pictures(self) -> None:
        """The rows in view, then a screen of rows below and one above, want their
        pictures; the others may lose theirs (RowStrips keeps a bounded number)."""
        if self._changing:  # the scroll bar moved as rows came or went: asked again after
            return
        count = len(self._numbers)
        if self.isVisible():
            self.executeDelayedItemsLayout()  # rows just added or taken: where they are now
            screen, top = self.viewport().height(), max(self.indexAt(QPoint(0, 0)).row(), 0)
        else:
            screen, top = HIDDEN_SCREEN_PX, 0
        keys, k, below = [], top, 0
        while k < count and below < 2 * screen:
            keys.append(self._strip_key(k))
            below += self.item(k).sizeHint().height()
            k += 1
        k, above = top - 1, 0
        while k >= 0 and above < screen:
            keys.append(self._strip_key(k))
            above += self.item(k).sizeHint().height()
            k -= 1
        self.strips.want(keys)

    def _strip_key(self, k: int) -> StripKey:
        finding, kept = self._shown[self._numbers[k]]
        return strip_key(finding.paths, kept)

    def _on_scroll_bar_value_changed(self, _value: int) -> None:
        self._want_pictures()

    def _remove_rows(self, listed: set[int]) -> None:
        """Rows of findings not `listed` go (taken, not deleted in C++: a Python wrapper
        left pointing at a deleted row could later stand for another object there)."""
        for k in reversed(range(len(self._numbers))):
            number = self._numbers[k]
            if number not in listed:
                finding, kept = self._shown.pop(number)
                self.strips.hide(self.takeItem(k), finding.paths, kept)
                self._unmeasured.discard(number)
        self._numbers = [number for number in self._numbers if number in listed]

    def _add_and_change_rows(self, deadline: float) -> None:
        """The rows listed are all in `_target`, in the same order: update those whose
        finding changed where they are; insert the new ones between them, CHUNK rows at a
        time until `deadline`, then leave the rest out (the worker adds them later)."""
        staying, present = self._numbers, []
        run: list[Row] = []  # new rows, to insert before staying[next_staying]
        next_staying = left_out = 0
        out_of_time = False
        for finding, kept in self._target:
            number = finding.number
            if next_staying < len(staying) and staying[next_staying] == number:
                self._insert(len(present) - len(run), run)
                run = []
                next_staying += 1
                present.append(number)
                before = self._shown[number]
                if before[0] is not finding or before[1] != kept:
                    self._change(self.item(len(present) - 1), finding, kept, before)
            elif out_of_time:
                left_out += 1
            else:
                run.append((finding, kept))
                present.append(number)
                if len(run) == CHUNK:
                    self._insert(len(present) - len(run), run)
                    run = []
                    out_of_time = time.perf_counter() > deadline
        self._insert(len(present) - len(run), run)
        self._numbers = present
        self._left_out = left_out

    def _insert(self, at: int, run: list[Row]) -> None:
        for k, (finding, kept) in enumerate(run, start=at):
            item = QListWidgetItem(row_text(finding, kept))  # made here, owned by the list
            item.setSizeHint(self._typical)
            self._show(item, finding, kept)
            self.insertItem(k, item)
            self._unmeasured.add(finding.number)

    def _change(self, item: QListWidgetItem, finding: ReviewItem, kept: bool, before: Row):
        text = row_text(finding, kept)
        if text != item.text():
            item.setText(text)
            self._unmeasured.add(finding.number)  # its height until then: the old text's
        if (before[0].paths, before[1]) == (finding.paths, kept):
            item.setData(ROLE, finding)
            self._shown[finding.number] = (finding, kept)
            return
        self.strips.hide(item, before[0].paths, before[1])
        if before[1] and not kept:
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
            item.setData(Qt.ItemDataRole.ToolTipRole, None)
        self._show(item, finding, kept)

    def _show(self, item: QListWidgetItem, finding: ReviewItem, kept: bool) -> None:
        item.setData(ROLE, finding)
        if kept:
            item.setForeground(self.palette().color(QPalette.ColorGroup.Disabled,
                                                    QPalette.ColorRole.Text))  # fmt: skip
            item.setToolTip(KEPT_TIP)
        self.strips.show(item, finding.paths, faded=kept)
        self._shown[finding.number] = (finding, kept)

    # ---- the rows' heights ----------------------------------------------------------------

    def measuring(self) -> int:
        """Rows whose height is still a guess (tests, benchmarks)."""
        return len(self._numbers if self.viewport().width() != self._width else self._unmeasured)

    def _update_option(self) -> None:
        """At a new width: the style option rows are measured with, a typical row's
        height, and every row to measure again."""
        width = self.viewport().width()
        if width == self._width and self._option is not None:
            return
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)  # what the view gives its delegate, as laid out:
        option.rect = self.viewport().rect()  # the text wraps at the viewport's width
        option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
        option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration
        option.icon = self.strips.blank  # every row shows a strip of this size
        option.text = "-\n-"  # what most findings fill: two lines beside the picture
        self._option, self._width = option, width
        self._typical = self._size_of(option.text)
        self._unmeasured = set(self._numbers)

    def _size_of(self, text: str) -> QSize:
        assert self._option is not None
        # as QStyledItemDelegate.sizeHint measures a row (its displayText breaks lines so)
        self._option.text = text.replace("\n", "\u2028")
        item_view = QStyle.ContentsType.CT_ItemViewItem
        return self.style().sizeFromContents(item_view, self._option, QSize(), self)

    def _measure_some(self, budget_s: float) -> None:
        """Give the rows in view their own height, then other rows from the top for up to
        `budget_s` of the GUI thread. Nothing while the list is hidden (no width yet)."""
        self._update_option()
        if not self._unmeasured or not self.isVisible():
            return
        deadline = time.perf_counter() + budget_s
        top = max(self.indexAt(QPoint(0, 0)).row(), 0)
        in_view = range(top, min(top + self.viewport().height() // self._typical.height() + 2,
                                 len(self._numbers)))  # fmt: skip
        for k in in_view:
            self._measure(k)
        for k, number in enumerate(self._numbers):
            if time.perf_counter() > deadline or not self._unmeasured:
                break
            if number in self._unmeasured:
                self._measure(k)

    def _measure(self, k: int) -> None:
        number = self._numbers[k]
        if number not in self._unmeasured:
            return
        item = self.item(k)
        size = self._size_of(item.text())
        if size != item.sizeHint():
            item.setSizeHint(size)
        self._unmeasured.discard(number)
        self.measured += 1

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._worker.start()
        self._want_pictures()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)  # a viewport's resize too (a scroll bar came or went)
        if self.viewport().width() != self._width:
            self._worker.start()
        self._want_pictures()
