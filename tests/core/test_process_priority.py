"""lower_this_thread: background threads of the window's process yield the CPU to it."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from core.process_priority import lower_this_thread


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values")
def test_a_lowered_thread_runs_below_the_others_and_they_stay_where_they_were():
    here = os.getpriority(os.PRIO_PROCESS, 0)
    seen = {}

    def work() -> None:
        seen["lowered"] = lower_this_thread(5)
        lower_this_thread(5)  # again (a pool thread's next task): no lower than that
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == {"lowered": True, "nice": min(19, here + 5)}
    assert os.getpriority(os.PRIO_PROCESS, 0) == here  # this thread is untouched


def test_elsewhere_nothing_is_lowered(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert lower_this_thread(5) is False
