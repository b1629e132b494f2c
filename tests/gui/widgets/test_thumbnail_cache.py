"""ThumbnailCache's queue: what is asked for last (the tiles on screen now) decodes first,
and tiles scrolled past are dropped before they cost a decode."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from PySide6.QtGui import QImage

import gui.widgets.thumbnail_cache as thumbnail_cache
from gui.widgets.thumbnail_cache import DECODER_NICENESS, MAX_PENDING, ThumbnailCache


@pytest.fixture
def held_decodes(monkeypatch):
    """Decodes record their path and wait for `release` (the first one holds the pool's
    only thread while the test queues more)."""
    release = threading.Event()
    decoded: list[str] = []

    def decode(path: str, size: int) -> QImage:
        release.wait(10)
        decoded.append(path)
        image = QImage(4, 4, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        return image

    monkeypatch.setattr(thumbnail_cache, "decode_thumbnail", decode)
    yield release, decoded
    release.set()


@pytest.fixture
def cache(held_decodes):
    """One decoding thread; shut down (its thread done) before the next test."""
    made = ThumbnailCache(threads=1)
    yield made
    assert made.shutdown()


def test_a_tile_asked_for_again_decodes_before_older_requests(qtbot, held_decodes, cache):
    release, decoded = held_decodes
    assert cache.get("p0") is None  # the pool's thread takes it and waits
    qtbot.waitUntil(lambda: cache.pending_count == 1 and "p0" not in cache._queued)
    for path in ("p1", "p2", "p3", "p4"):
        cache.get(path)
    cache.get("p2")  # scrolled back into view: asked again
    cache.get("p0")  # already decoding: not queued twice
    assert cache.pending_count == 5
    release.set()
    qtbot.waitUntil(lambda: len(cache) == 5)
    assert decoded == ["p0", "p2", "p4", "p3", "p1"]
    assert cache.pending_count == 0 and cache.decoded_count == 5
    assert cache.get("p2") is not None  # cached: nothing queued
    assert cache.pending_count == 0


def test_requests_scrolled_far_past_are_dropped_before_they_cost_a_decode(
    qtbot, held_decodes, cache
):
    release, decoded = held_decodes
    cache.get("first")
    qtbot.waitUntil(lambda: "first" not in cache._queued)
    paths = [f"tile{i}" for i in range(MAX_PENDING + 10)]
    for path in paths:
        cache.get(path)
    release.set()
    qtbot.waitUntil(lambda: cache.pending_count == 0, timeout=10000)
    assert set(decoded) == {"first", *paths[10:]}  # the 10 oldest were never decoded
    assert cache.get(paths[0]) is None  # asked again later: queued again


def test_clearing_forgets_queued_decodes_and_late_results(qtbot, held_decodes, cache):
    release, decoded = held_decodes
    cache.get("a")
    qtbot.waitUntil(lambda: "a" not in cache._queued)  # decoding
    cache.get("b")
    cache.get("c")
    cache.clear()  # a new folder
    release.set()
    qtbot.waitUntil(lambda: decoded == ["a"])
    qtbot.wait(50)
    assert len(cache) == 0 and cache.pending_count == 0 and decoded == ["a"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values")
def test_thumbnails_are_decoded_below_the_gui_threads_priority(qtbot, monkeypatch):
    # At the same priority the GUI thread shared a core with the decoder half and half,
    # and waited for it inside the window's longest stalls.
    niceness = []

    def decode(path: str, size: int) -> QImage:
        niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return QImage()

    monkeypatch.setattr(thumbnail_cache, "decode_thumbnail", decode)
    cache = ThumbnailCache(threads=1)
    cache.get("a.jpg")
    qtbot.waitUntil(lambda: cache.pending_count == 0)
    assert cache.shutdown()
    here = os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness == [min(19, here + DECODER_NICENESS)]
