"""Choose the CPU thread count by measuring, not guessing.

On small shared machines a small model can run 2-4x faster on 1 thread than on 2 (thread
synchronisation costs more than the extra core gives), while big models gain from more
threads. So the first training steps are timed with each candidate count and the fastest
is kept: the measurement costs nothing, those steps train the model as usual."""

from __future__ import annotations

import os
import time

import torch

WARMUP_STEPS = 2  # first steps allocate and tune kernels: not representative
STEPS_PER_CANDIDATE = 3


def candidate_counts(cpu_count: int) -> list[int]:
    counts = {1, max(1, cpu_count // 2), cpu_count}
    return sorted(counts)


class ThreadTuner:
    def __init__(self, enabled: bool, fixed: int = 0) -> None:
        self._messages: list[str] = []
        self.enabled = enabled and fixed == 0
        if fixed:
            torch.set_num_threads(fixed)
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        self.candidates = candidate_counts(cpus or 1) if self.enabled else []
        if len(self.candidates) < 2:
            self.enabled = False
        self.results: dict[int, float] = {}
        self._current = 0
        self._t0 = 0.0
        self._seconds = 0.0
        self._images = 0
        self._steps = 0
        self.chosen: int | None = fixed or None

    def _start_candidate(self) -> None:
        torch.set_num_threads(self.candidates[self._current])
        self._seconds = 0.0
        self._images = self._steps = 0

    def before_step(self, global_step: int) -> None:
        if not self.enabled:
            return
        if global_step == WARMUP_STEPS:
            self._start_candidate()
        self._t0 = time.perf_counter()

    def after_step(self, global_step: int, images: int) -> None:
        if not self.enabled or global_step <= WARMUP_STEPS:
            return
        # Only the step itself is timed (not validation or data set-up between epochs).
        # On CPU the step's work is done when it returns: nothing is queued asynchronously.
        self._seconds += time.perf_counter() - self._t0
        self._images += images
        self._steps += 1
        if self._steps < STEPS_PER_CANDIDATE:
            return
        count = self.candidates[self._current]
        self.results[count] = self._images / max(self._seconds, 1e-9)
        self._current += 1
        if self._current < len(self.candidates):
            self._start_candidate()
            return
        self.enabled = False
        self.chosen = max(self.results, key=self.results.get)
        torch.set_num_threads(self.chosen)
        measured = ", ".join(f"{n} thread(s): {ips:.0f} img/s" for n, ips in sorted(self.results.items()))
        self._messages.append(f"CPU threads: using {self.chosen} (measured {measured}).")

    def messages(self) -> list[str]:
        out, self._messages = self._messages, []
        return out


class SpeedMeter:
    """Exponential moving average of images per second, for the time-remaining estimate."""

    def __init__(self, alpha: float = 0.3) -> None:
        self.alpha = alpha
        self.value = 0.0

    def add(self, ips: float) -> None:
        self.value = ips if self.value == 0 else self.alpha * ips + (1 - self.alpha) * self.value
