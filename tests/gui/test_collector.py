"""The garbage collector leaves the objects alive at start-up alone (gui.collector)."""

from __future__ import annotations

import gc
import weakref

import pytest

from gui.collector import freeze_long_lived_objects


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture
def unfreeze():
    yield
    gc.unfreeze()  # the rest of the suite collects as usual


def test_live_objects_are_frozen_and_garbage_is_freed_first(unfreeze):
    garbage = weakref.ref(_Node())  # unreachable already, kept only by its cycle
    alive = _Node()
    freeze_long_lived_objects()
    assert garbage() is None  # collected, not frozen for ever
    assert gc.get_freeze_count() > 0
    # A full collection no longer walks what was alive: the window's and torch's objects.
    assert not any(o is alive for o in gc.get_objects())
    later = _Node()
    assert any(o is later for o in gc.get_objects())  # newer objects are collected as usual
