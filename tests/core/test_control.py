"""RunControl: pause holds the loop at its checkpoint, and the time held is counted so that
speeds and durations can leave it out."""

from __future__ import annotations

import threading

from core.control import RunControl


def test_time_held_while_paused_is_counted_and_running_time_is_not():
    control = RunControl()
    assert control.checkpoint() is False and control.paused_seconds == 0.0
    control.pause()
    entered, released = threading.Event(), threading.Event()

    def loop() -> None:
        entered.set()
        control.checkpoint()  # held here until resume
        released.set()

    worker = threading.Thread(target=loop)
    worker.start()
    assert entered.wait(5)
    assert not released.wait(0.2)  # still held
    control.resume()
    worker.join(5)
    assert released.is_set() and control.paused_seconds > 0.0
    held = control.paused_seconds
    control.checkpoint()
    assert control.paused_seconds == held


def test_a_stop_wakes_a_paused_loop():
    control = RunControl()
    control.pause()
    result: list[bool] = []
    worker = threading.Thread(target=lambda: result.append(control.checkpoint()))
    worker.start()
    control.request_stop()
    worker.join(5)
    assert result == [True]
