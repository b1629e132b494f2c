"""Per-file work runs in the calling thread for cheap files and in a pool for slow ones, in
input order either way, and a stop leaves the files not yet started alone."""

from __future__ import annotations

import threading
import time

from core.data.file_work import CHEAP_FILE_S, PROBE_FILES, map_files


def _recording(seconds: float, seen: list):
    def work(item: int) -> int:
        seen.append((item, threading.current_thread().name))
        if seconds:
            time.sleep(seconds)
        return item * 2

    return work


def test_cheap_files_stay_in_the_calling_thread_in_order():
    seen: list = []
    items = list(range(500))
    assert list(map_files(_recording(0, seen), items, threads=8)) == [i * 2 for i in items]
    assert {name for _, name in seen} == {threading.current_thread().name}


def test_slow_files_go_to_a_pool_and_come_back_in_order():
    seen: list = []
    items = list(range(PROBE_FILES + 64))
    results = list(map_files(_recording(2 * CHEAP_FILE_S, seen), items, threads=4, thread_name="t"))
    assert results == [i * 2 for i in items]
    pooled = {item for item, name in seen if name.startswith("t_")}
    assert pooled == set(range(PROBE_FILES, len(items)))  # the probe ran here, the rest there


def test_one_thread_means_no_pool_even_for_slow_files():
    seen: list = []
    list(map_files(_recording(2 * CHEAP_FILE_S, seen), list(range(PROBE_FILES + 40)), threads=1))
    assert {name for _, name in seen} == {threading.current_thread().name}


def test_closing_early_leaves_the_files_not_yet_started():
    seen: list = []
    items = list(range(PROBE_FILES + 2000))
    results = map_files(_recording(0.002, seen), items, threads=2)
    for _ in range(PROBE_FILES + 5):
        next(results)
    results.close()
    done = len(seen)
    time.sleep(0.05)
    assert len(seen) == done < len(items) // 2  # nothing more ran after the close
