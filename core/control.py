"""Cooperative stop/pause for long-running generators (training, classification).

The work loop calls `checkpoint()` at safe points (once per step); another thread calls
`request_stop()`, `pause()` or `resume()`. Nothing is ever interrupted mid-step."""

from __future__ import annotations

import threading
import time


class RunControl:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._paused_seconds = 0.0  # written by the work loop's thread only

    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can see the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def paused_seconds(self) -> float:
        """Time the work loop spent held in checkpoint(): speeds and durations leave it out
        (a rate measured across a pause said "3 img/s" just after Resume)."""
        return self._paused_seconds

    def checkpoint(self, wait_limit: float | None = None) -> bool:
        """Block while paused (at most `wait_limit` seconds when given: the processes of a
        data-parallel run poll a pause together, core.train.distributed); return True when
        the loop should stop now."""
        if not self._running.is_set():
            held_since = time.monotonic()
            while not self._running.wait(timeout=0.1):
                if self._stop.is_set():
                    break
                if wait_limit is not None and time.monotonic() - held_since >= wait_limit:
                    break
            self._paused_seconds += time.monotonic() - held_since
        return self._stop.is_set()
