"""The Check dataset window keeps the heavy work out of the window's process: the check runs
in a process of its own (core.data.doctor_process) that Cancel, closing the dialog and
closing the window end, and whose death is one sentence in the dialog; the rows' pictures
are decoded and drawn in another thread, and drawn once per list, not again after an action."""

from __future__ import annotations

import functools
import shutil
import sys
import textwrap
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

import core.data.doctor_process as doctor_process
import gui.data.doctor_review as doctor_review
import gui.data.doctor_thumbnails as doctor_thumbnails
from core.train.child_process import is_alive
from gui.data.dataset_view import DatasetView
from gui.data.doctor_review import DoctorDialog
from gui.jobs import JobEnded, running_threads
from tests.core.image_factory import make_shapes_dataset

TRIANGLES = ["triangle/triangle_001.png", "triangle/again.png"]
ISSUE = "circle/circle_002.png"


@pytest.fixture
def dataset(tmp_path):
    root = make_shapes_dataset(tmp_path / "data", per_class=4, size=24, seed=3)
    shutil.copy(root / TRIANGLES[0], root / TRIANGLES[1])
    return root


def _report() -> dict:
    files = {p: {"label": p.split("/")[0], "split": "train"} for p in [*TRIANGLES, ISSUE]}
    issue = {"path": ISSUE, "label": "circle", "suggested": "square", "score": 0.7}
    return {"classes": ["circle", "square", "triangle"], "exact_duplicates": [TRIANGLES],
            "label_issues": [issue], "files": files}  # fmt: skip


SLOW = textwrap.dedent(
    """
    import sys, time
    sys.stdin.readline()
    print('{"type":"progress","stage":"Reading images","done":1,"total":9}', flush=True)
    sys.stdin.read()
    time.sleep(60)
    """
)


@pytest.fixture
def slow_check(monkeypatch):
    """The dialog's check runs a process that says one thing, then waits to be ended;
    returns the ids of the processes started."""
    pids: list[int] = []
    monkeypatch.setattr(doctor_process, "END_GRACE_S", 0.5)
    fake = functools.partial(
        doctor_process.check_in_process, command=[sys.executable, "-c", SLOW], started=pids
    )
    monkeypatch.setattr(doctor_review, "check_in_process", fake)
    return pids


def _started(qtbot, dialog: DoctorDialog) -> None:
    with qtbot.waitSignal(dialog.runner.event, timeout=30_000):  # its first progress
        dialog.start()


def test_cancel_ends_the_checks_process(qtbot, dataset, slow_check):
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    _started(qtbot, dialog)
    assert dialog.status_label.text() == "Reading images …" and is_alive(slow_check[0])
    with qtbot.waitSignal(
        dialog.runner.event, timeout=30_000, check_params_cb=lambda e: isinstance(e, JobEnded)
    ):
        dialog.cancel_button.click()
    assert dialog.status_label.text() == "Check stopped; nothing was changed."
    assert dialog.cancel_button.isHidden() and dialog.list.count() == 0
    assert not is_alive(slow_check[0])


def test_closing_the_dialog_mid_check_ends_its_process(qtbot, dataset, slow_check):
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    dialog.show()
    _started(qtbot, dialog)
    dialog.close()  # asks the job to stop and returns: the window does not wait for it
    qtbot.waitUntil(lambda: not is_alive(slow_check[0]), timeout=30_000)
    # the job's thread ends once it has reaped the process (CI failed when the test ended
    # between the two: "test left 1 QThread(s) running: doctorThread")
    qtbot.waitUntil(lambda: not running_threads(), timeout=30_000)


def test_closing_the_window_mid_check_leaves_no_process(qtbot, dataset, slow_check):
    view = DatasetView()
    qtbot.addWidget(view)
    view.doctor_dialog = dialog = DoctorDialog(str(dataset), 0.2, 0, view)
    _started(qtbot, dialog)
    view.shutdown()  # what closing the window does
    assert not dialog.runner.is_running() and not is_alive(slow_check[0])


def test_a_check_process_that_dies_says_so_in_the_dialog(qtbot, dataset, monkeypatch):
    dies = (
        "import sys; sys.stdin.readline(); sys.stderr.write('MemoryError: no room\\n'); sys.exit(3)"
    )
    monkeypatch.setattr(doctor_process, "worker_command", lambda: [sys.executable, "-c", dies])
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(
        dialog.runner.event, timeout=30_000, check_params_cb=lambda e: isinstance(e, JobEnded)
    ):
        dialog.start()
    assert dialog.status_label.text() == (
        "The dataset check's process ended (exit code 3) unexpectedly: MemoryError: no room"
    )
    assert dialog.progress_bar.isHidden() and dialog.cancel_button.isHidden()


def _alpha(row, slot: int) -> int:
    """The opacity at the middle of picture `slot` of the row's strip."""
    image = row.icon().pixmap(doctor_review.THUMB * 4 + 6, doctor_review.THUMB).toImage()
    x = slot * (doctor_review.THUMB + 2) + doctor_review.THUMB // 2
    return image.pixelColor(x, doctor_review.THUMB // 2).alpha()


def _rows(dialog):
    return [dialog.list.item(k) for k in range(dialog.list.count())]


def _row(dialog, paths):
    return next(row for row in _rows(dialog) if row.data(doctor_review._ITEM_ROLE).paths == paths)


def test_pictures_are_drawn_off_the_gui_thread_once_per_list(qtbot, dataset, monkeypatch):
    decoded: list[tuple[str, bool]] = []
    real = doctor_thumbnails.decode_thumbnail

    def decode(path, size, upscale=False):
        decoded.append((path, threading.current_thread() is threading.main_thread()))
        return real(path, size, upscale)

    monkeypatch.setattr(doctor_thumbnails, "decode_thumbnail", decode)
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    dialog.show_report(_report())
    assert [_alpha(row, 0) for row in _rows(dialog)] == [0, 0]  # listed at once, blank
    qtbot.waitUntil(lambda: dialog.strips.waiting() == 0 and dialog.strips.drawn_count == 2)
    dialog.strips.flush()
    assert len(decoded) == 3 and not any(on_gui for _path, on_gui in decoded)
    pair, issue = _row(dialog, tuple(TRIANGLES)), _row(dialog, (ISSUE,))
    assert [_alpha(pair, k) for k in range(3)] == [255, 255, 0]  # two pictures side by side
    assert [_alpha(issue, k) for k in range(2)] == [255, 0]

    issue.setSelected(True)
    dialog.keep_button.click()  # the list is filled again: the pair's strip is reused
    assert dialog.strips.waiting() == 0 and len(decoded) == 3
    assert _alpha(_row(dialog, tuple(TRIANGLES)), 1) == 255

    dialog.kept_box.click()  # the kept finding is listed faded: its strip at half opacity
    kept = _row(dialog, (ISSUE,))
    qtbot.waitUntil(lambda: dialog.strips.waiting() == 0)
    dialog.strips.flush()
    assert 120 <= _alpha(kept, 0) <= 135 and _alpha(kept, 1) == 0


def test_return_during_a_check_does_not_stop_it(qtbot, dataset, slow_check):
    """Qt focused Cancel when the dialog opened: a user pressing Return stopped the check."""
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    dialog.show()
    _started(qtbot, dialog)
    assert dialog.focusWidget() is dialog.list
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    QTest.keyClick(dialog, Qt.Key.Key_Enter)
    qtbot.wait(300)
    assert dialog.runner.is_running() and is_alive(slow_check[0])
    assert dialog.status_label.text() == "Reading images …"
    dialog.cancel_button.setFocus()  # Return on a focused button still presses it
    with qtbot.waitSignal(
        dialog.runner.event, timeout=30_000, check_params_cb=lambda e: isinstance(e, JobEnded)
    ):
        QTest.keyClick(dialog.cancel_button, Qt.Key.Key_Return)
    assert dialog.status_label.text() == "Check stopped; nothing was changed."


def test_return_in_the_findings_list_moves_nothing(qtbot, dataset, monkeypatch):
    dialog = DoctorDialog(str(dataset), 0.2, 0)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(dialog, "_confirm", lambda question: True)
    dialog.show()
    dialog.show_report(_report())
    _row(dialog, (ISSUE,)).setSelected(True)
    dialog.class_box.setCurrentText("square")
    assert dialog.move_button.isEnabled()
    dialog.list.setFocus()
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    assert (dataset / ISSUE).exists() and dialog.isVisible()
    # ... and no button is framed as the one Return would press
    assert not any(button.isDefault() for button in dialog.findChildren(QPushButton))
