"""The garbage collector leaves the objects alive at start-up alone (gui.collector).

Run in a fresh interpreter: freezing the collector is process-wide, and the suite's own
objects (windows, job threads of earlier tests) must keep being collected as usual."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import gc, weakref
    from gui.collector import freeze_long_lived_objects

    class Node:
        def __init__(self):
            self.me = self  # a reference cycle: only the collector frees it

    garbage = weakref.ref(Node())  # unreachable already, kept only by its cycle
    alive = Node()
    freeze_long_lived_objects()
    assert garbage() is None, "garbage was frozen instead of freed"
    assert gc.get_freeze_count() > 0
    # A full collection no longer walks what was alive (the window's and torch's objects)...
    assert not any(o is alive for o in gc.get_objects())
    later = Node()
    # ...while newer objects are collected as usual.
    assert any(o is later for o in gc.get_objects())
    # Once torch has loaded, no collection first: walking its ~340,000 objects froze the window
    # for ~250 ms to free a few thousand; what is garbage then stays, frozen.
    more_garbage = weakref.ref(Node())
    frozen = gc.get_freeze_count()
    collections = gc.get_stats()[2]["collections"]
    freeze_long_lived_objects(collect_first=False)
    assert gc.get_stats()[2]["collections"] == collections, "a full collection ran"
    assert gc.get_freeze_count() > frozen and more_garbage() is not None
    print("ok")
    """
)


def test_live_objects_are_frozen_and_garbage_is_freed_first():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


THREAD_SCRIPT = textwrap.dedent(
    """
    import gc, os, threading
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QListView
    from gui.collector import GuiThreadCollector

    app = QApplication([])
    collector = GuiThreadCollector(interval_ms=20)
    deleted_on = []

    kept = []

    def allocate():  # a reader thread parsing events: enough to trigger a collection
        kept.extend([i] for i in range(200_000))

    worker = threading.Thread(target=allocate, name="reader")
    gc.collect()  # counts start at zero: the reader's allocations trigger the next one
    view = QListView()
    view.cycle = view  # garbage only the cyclic collector frees
    view.destroyed.connect(lambda: deleted_on.append(threading.current_thread().name))
    del view
    worker.start()
    worker.join()
    assert deleted_on == [], f"collected on {deleted_on}"
    QTimer.singleShot(300, app.quit)
    app.exec()
    assert deleted_on == ["MainThread"], deleted_on
    assert collector.collections > 0
    print("ok")
    """
)


def test_widgets_in_reference_cycles_are_freed_on_the_gui_thread_not_by_a_worker():
    done = subprocess.run(
        [sys.executable, "-c", THREAD_SCRIPT], cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
