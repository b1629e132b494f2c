"""Decoding and testing report progress as log lines every few seconds, and keep their result."""

from __future__ import annotations

from core.events import LogMessage
from core.train.progress_log import logged_progress


def _work(units: int):
    for done in range(1, units + 1):
        yield done, units
    return "decoded"


def test_the_result_comes_through_and_no_line_is_written_before_the_interval():
    events = []
    result = yield_all(logged_progress(_work(50), lambda p: f"{p[0]} of {p[1]}", 3600), events)
    assert result == "decoded" and events == []


def test_a_slow_step_gets_a_line_saying_how_far_it_got():
    events = []
    yield_all(logged_progress(_work(3), lambda p: f"Decoded {p[0]:,} of {p[1]:,}", 0.0), events)
    assert events == [LogMessage("info", f"Decoded {n} of 3") for n in (1, 2, 3)]


def yield_all(generator, events):
    while True:
        try:
            events.append(next(generator))
        except StopIteration as stop:
            return stop.value
