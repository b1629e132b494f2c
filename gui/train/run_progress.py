"""The figures under the Train page's progress bar, without Qt: speed, time left and time
spent, honest about pauses and about the CPU tuner's first steps. The dashboard asks for
`details()` twice a second; tests drive it with their own clock."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from core.events import StepEnded
from core.words import format_duration


class RunProgress:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started_at: float | None = None
        self.paused_at: float | None = None
        self.paused_total = 0.0
        self.last_step: StepEnded | None = None
        self.last_step_at = 0.0

    def start(self) -> None:
        self.started_at = self._clock()
        self.paused_at, self.paused_total = None, 0.0
        self.last_step = None

    def step(self, ev: StepEnded) -> None:
        self.last_step, self.last_step_at = ev, self._clock()

    def pause(self) -> None:
        if self.paused_at is None:
            self.paused_at = self._clock()

    def resume(self) -> None:
        if self.paused_at is not None:
            now = self._clock()
            self.paused_total += now - self.paused_at
            self.paused_at = None
            self.last_step_at = now  # the ETA clock restarts where it stood
            # The speed measured before the pause is stale: wait for the next step's.
            self.last_step = None if self.last_step is None else self._without_speed()

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def elapsed(self) -> float:
        """Training time so far: pauses left out."""
        if self.started_at is None:
            return 0.0
        now = self.paused_at if self.paused_at is not None else self._clock()
        return max(0.0, now - self.started_at - self.paused_total)

    def details(self) -> str:
        """ "250 img/s · 1 min 05 s left · elapsed 20 s" and its honest variants."""
        elapsed = f"elapsed {format_duration(self.elapsed())}"
        ev = self.last_step
        if self.paused:
            return f"paused · {elapsed}"
        if ev is None:
            return elapsed
        if ev.measuring:
            return f"measuring the speed… · {elapsed}"
        if ev.images_per_second <= 0:  # the first step after Resume has not come yet
            return f"resuming… · {elapsed}"
        left = max(0.0, ev.eta_seconds - (self._clock() - self.last_step_at))
        return f"{ev.images_per_second:,.0f} img/s · {format_duration(left)} left · {elapsed}"

    def _without_speed(self) -> StepEnded:
        assert self.last_step is not None
        return dataclasses.replace(self.last_step, images_per_second=0.0)
