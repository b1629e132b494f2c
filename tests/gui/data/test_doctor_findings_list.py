"""The Check dataset list at thousands of findings (session 9). Keep, Show kept or Undo
made every row again and Qt laid out the text of every row again, on 1,500 findings a
frozen window for 120-250 ms at each click: now an action changes only the rows whose
finding changed, every row carries its height (as tall as its text needs, at the list's
width), and a long report is listed a slice at a time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QListWidget, QListWidgetItem

import gui.data.doctor_thumbnails as doctor_thumbnails
from gui.data.doctor_findings_list import KEPT_MARK, KEPT_TIP, ROLE
from gui.data.doctor_review import DoctorDialog

LONG = 3000  # findings


def _report(count: int) -> dict:
    """`count` findings: every twentieth a group of six copies (a long row that wraps), the
    others outliers. The images need not exist: their rows' pictures stay blank."""
    files, groups, outliers = {}, [], []
    for k in range(count):
        label = ("circle", "square", "triangle")[k % 3]
        paths = [f"train/{label}/copy_{k:05d}_{j}.png" for j in range(6 if k % 20 == 0 else 1)]
        files |= {p: {"label": label, "split": "train"} for p in paths}
        if len(paths) > 1:
            groups.append(paths)
        else:
            outliers.append({"path": paths[0], "label": label, "score": 0.5})
    return {"classes": ["circle", "square", "triangle"], "near_duplicates": groups,
            "outliers": outliers, "files": files}  # fmt: skip


def _dialog(qtbot, tmp_path, count: int = LONG, width: int = 900) -> DoctorDialog:
    dialog = DoctorDialog(str(tmp_path), 0.2, 0)
    qtbot.addWidget(dialog)
    dialog.resize(width, 640)
    dialog.show()
    dialog.show_report(_report(count))
    qtbot.waitUntil(lambda: dialog.list.count() == count, timeout=30_000)
    return dialog


def _rows(dialog) -> list[QListWidgetItem]:
    return [dialog.list.item(k) for k in range(dialog.list.count())]


def _numbers(rows) -> list[int]:
    return [row.data(ROLE).number for row in rows]


def test_keep_on_thousands_of_findings_changes_only_the_rows_kept(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path)
    rows = _rows(dialog)  # held: the same row is then the same Python object
    assert _numbers(rows) == list(range(LONG))
    for row in rows[1500:1503]:
        row.setSelected(True)
    dialog.keep_button.click()
    after = _rows(dialog)
    assert len(after) == LONG - 3
    # Every other row is the row it was (its picture, its height), not one made again.
    assert all(a is b for a, b in zip(after, rows[:1500] + rows[1503:], strict=True))
    assert [row.data(ROLE).number for row in dialog.list.selectedItems()] == [1503]


def test_rows_carry_their_height_and_keep_it_after_an_action(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path)
    qtbot.waitUntil(lambda: dialog.list.measuring() == 0, timeout=30_000)
    # Qt takes each row's height as given: it lays out no row's text to list them.
    assert all(row.sizeHint().isValid() for row in _rows(dialog))
    measured = dialog.list.measured
    dialog.list.item(10).setSelected(True)
    dialog.keep_button.click()
    dialog.undo_button.click()  # the kept row comes back: that one row is measured
    qtbot.waitUntil(lambda: dialog.list.measuring() == 0)
    assert dialog.list.measured - measured == 1


def _heights_qt_gives(dialog) -> list[int]:
    """The rows' heights in a plain QListWidget of the same width, which lays out their
    text itself."""
    plain = QListWidget(dialog)
    plain.setIconSize(dialog.list.iconSize())
    plain.setWordWrap(True)
    plain.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    plain.setGeometry(dialog.list.geometry())
    plain.show()
    for row in _rows(dialog):
        QListWidgetItem(row.icon(), row.text(), plain)
    heights = [plain.visualItemRect(plain.item(k)).height() for k in range(plain.count())]
    plain.deleteLater()
    return heights


def test_a_long_row_is_as_tall_as_its_text_at_any_width(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path, count=60, width=1400)
    qtbot.waitUntil(lambda: dialog.list.measuring() == 0)
    heights = [dialog.list.visualItemRect(row).height() for row in _rows(dialog)]
    assert heights == _heights_qt_gives(dialog)
    dialog.resize(600, 640)  # narrower: the rows of six paths wrap over more lines
    qtbot.waitUntil(lambda: dialog.list.width() < 600 and dialog.list.measuring() == 0)
    narrower = [dialog.list.visualItemRect(row).height() for row in _rows(dialog)]
    assert narrower == _heights_qt_gives(dialog)
    assert narrower[0] > heights[0] == heights[-1]  # the groups come first, outliers last
    assert narrower[-1] < narrower[0]


def test_show_kept_puts_thousands_of_kept_rows_back_among_the_others(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path)
    rows = _rows(dialog)
    for row in rows[::3]:  # kept: a third of the rows, spread over the list
        row.setSelected(True)
    dialog.keep_button.click()
    open_rows = _rows(dialog)
    assert _numbers(open_rows) == [n for n in range(LONG) if n % 3]
    dialog.kept_box.click()
    qtbot.waitUntil(lambda: dialog.list.count() == LONG, timeout=30_000)
    listed = _rows(dialog)
    assert _numbers(listed) == list(range(LONG))
    assert all(a is b for a, b in zip(listed[1::3], open_rows[::2], strict=False))
    kept = listed[::3]
    assert all(row.text().startswith(KEPT_MARK) and row.toolTip() == KEPT_TIP for row in kept)
    assert not any(row.text().startswith(KEPT_MARK) or row.toolTip() for row in listed[1::3])
    dialog.kept_box.click()
    assert all(a is b for a, b in zip(_rows(dialog), open_rows, strict=True))


def test_an_action_while_a_long_report_is_still_being_listed(qtbot, tmp_path):
    dialog = DoctorDialog(str(tmp_path), 0.2, 0)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_report(_report(LONG))
    dialog.list.item(0).setSelected(True)
    dialog.keep_button.click()  # at once: the last rows may not be listed yet
    qtbot.waitUntil(lambda: dialog.list.count() == LONG - 1, timeout=30_000)
    assert _numbers(_rows(dialog)) == list(range(1, LONG))
    assert [row.data(ROLE).number for row in dialog.list.selectedItems()] == [1]


def _in_view(dialog) -> list[int]:
    view = dialog.list.viewport().rect()
    return [k for k, row in enumerate(_rows(dialog))
            if dialog.list.visualItemRect(row).intersects(view)]  # fmt: skip


def _with_picture(dialog) -> list[int]:
    blank = dialog.strips.blank.cacheKey()
    return [k for k, row in enumerate(_rows(dialog)) if row.icon().cacheKey() != blank]


def _pictures_drawn(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: dialog.strips.waiting() == 0, timeout=30_000)
    dialog.strips.flush()


def test_only_rows_near_the_view_get_pictures_and_few_are_kept(qtbot, tmp_path, monkeypatch):
    """A strip for every row held ~420 MB at 5,000 findings: now the rows in view and a
    screen around them get theirs, and a bounded number of strips is kept."""
    decoded: list[str] = []

    def decode(path: str, size: int, upscale: bool = False) -> QImage:
        decoded.append(path)
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.darkRed)
        return image

    monkeypatch.setattr(doctor_thumbnails, "decode_thumbnail", decode)
    monkeypatch.setattr(doctor_thumbnails, "CACHE_MB", 4)  # 49 strips of 294x72 px
    dialog = _dialog(qtbot, tmp_path)
    bar = dialog.list.verticalScrollBar()
    _pictures_drawn(qtbot, dialog)
    in_view = _in_view(dialog)
    assert in_view[0] == 0 and set(in_view) <= set(_with_picture(dialog))
    assert len(_with_picture(dialog)) <= 3 * len(in_view) + 2  # not the 3,000 rows
    assert dialog.strips.drawn_count == len(_with_picture(dialog)) <= 4 * len(in_view)

    top = _with_picture(dialog)
    bar.setValue(bar.maximum())  # the rows now in view get theirs; the top keeps its own
    _pictures_drawn(qtbot, dialog)
    in_view = _in_view(dialog)
    assert in_view[-1] == LONG - 1 and set(in_view + top) <= set(_with_picture(dialog))
    for value in (bar.maximum() // 4, bar.maximum() // 2, 3 * bar.maximum() // 4):
        bar.setValue(value)
        _pictures_drawn(qtbot, dialog)
        assert set(_in_view(dialog)) <= set(_with_picture(dialog))
        assert len(_with_picture(dialog)) <= dialog.strips.held() <= dialog.strips.capacity
    assert dialog.strips.capacity == 49 and 0 not in _with_picture(dialog)  # dropped
    drawn = dialog.strips.drawn_count
    assert drawn < 5 * 4 * len(in_view) and len(decoded) < 4 * drawn

    bar.setValue(bar.maximum() * 3 // 4 - 1)  # back to rows seen last: no picture drawn again
    _pictures_drawn(qtbot, dialog)
    assert dialog.strips.drawn_count - drawn <= 2
    bar.setValue(0)  # back to the top: its pictures come back
    _pictures_drawn(qtbot, dialog)
    assert set(_in_view(dialog)) <= set(_with_picture(dialog))
