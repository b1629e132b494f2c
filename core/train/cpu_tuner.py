"""Choose the CPU thread count and precision by measuring, not guessing.

On small shared machines a small model can run 2-4x faster on 1 thread than on 2 (thread
synchronisation costs more than the extra core gives), while big models gain from more
threads. bf16 autocast is 1.7-1.9x faster for ResNets and Loupe's CNN on CPUs with native
bf16 (AVX512-BF16/AMX) but slower for MobileNets. So the first training steps are timed
with each candidate setting, interleaved (a passing load spike then hurts every candidate
alike), and the fastest median is kept. Those steps train the model as usual: the
measurement costs only the time of the slower settings."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from core.device import Precision

WARMUP_STEPS = 2  # the first steps allocate and tune kernels: not representative
ROUNDS = 2  # each candidate is visited this many times, interleaved with the others
STEPS_PER_VISIT = 3  # the first step of a visit is discarded (new kernels for that setting)
SLOWER_THAN_BEST = 0.5  # after the first round, settings below this share of the best stop
# Slow steps (a pretrained network on photos, on a CPU): the plan above would time 26 steps,
# a minute or more, a quarter of a small run, with no time left shown meanwhile. A step this
# long averages over enough work that one round, and one kept step per visit, suffice.
SLOW_STEP_S = 1.0
SLOW_STEPS_PER_VISIT = 2

FP32 = Precision(False, None, False)
BF16 = Precision(True, torch.bfloat16, False)


def candidate_counts(cpu_count: int) -> list[int]:
    return sorted({1, max(1, cpu_count // 2), cpu_count})


def cpu_bf16_supported() -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@dataclass(frozen=True)
class CpuSetting:
    threads: int
    precision: Precision

    @property
    def label(self) -> str:
        return f"{self.threads} thread{'s' if self.threads > 1 else ''}, {self.precision.label}"


def cpu_candidates(threads: int, precision_setting: str) -> list[CpuSetting]:
    """threads=0: try several counts. precision 'auto' tries bf16 too where the CPU has it."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    counts = [threads] if threads else candidate_counts(cpus or 1)
    if precision_setting == "on":
        precisions = [BF16]
    elif precision_setting == "auto" and cpu_bf16_supported():
        precisions = [FP32, BF16]
    else:
        precisions = [FP32]
    return [CpuSetting(n, p) for p in precisions for n in counts]


class CpuTuner:
    """Drives the candidates during the first steps; `before_step` returns the precision the
    step must use. Disabled (a no-op returning `fixed`) off the CPU or with one candidate."""

    def __init__(
        self,
        candidates: list[CpuSetting],
        fixed: Precision,
        on_chosen: Callable[[CpuSetting, dict[str, float]], None] | None = None,
    ) -> None:
        self._messages: list[str] = []
        self._on_chosen = on_chosen  # (choice, images/s per candidate label) once measured
        self.candidates = candidates
        self.enabled = len(candidates) > 1
        self.chosen: CpuSetting | None = None if self.enabled else (candidates or [None])[0]
        self.precision = fixed if not candidates else candidates[0].precision
        if self.chosen is not None:
            torch.set_num_threads(self.chosen.threads)
            self.precision = self.chosen.precision
        self._steps_per_visit = STEPS_PER_VISIT
        self._plan = self._visits(ROUNDS)
        self._times: dict[CpuSetting, list[float]] = {c: [] for c in candidates}
        self._slot = 0
        self._t0 = 0.0
        self._current: CpuSetting | None = None

    def _visits(self, rounds: int) -> list[CpuSetting]:
        visit = self._steps_per_visit
        return [c for _ in range(rounds) for c in self.candidates for _ in range(visit)]

    def _apply(self, setting: CpuSetting) -> None:
        if setting != self._current:
            torch.set_num_threads(setting.threads)
            self.precision = setting.precision
            self._current = setting

    def before_step(self, global_step: int) -> Precision:
        if self.enabled:
            if global_step >= WARMUP_STEPS:
                self._apply(self._plan[self._slot])
            self._t0 = time.perf_counter()
        return self.precision

    def after_step(self, global_step: int, images: int) -> None:
        # On CPU the step's work is done when it returns: nothing is queued asynchronously.
        if not self.enabled:
            return
        seconds = time.perf_counter() - self._t0
        if global_step == WARMUP_STEPS and seconds >= SLOW_STEP_S:
            self._steps_per_visit = SLOW_STEPS_PER_VISIT  # the last warm-up step was slow
            self._plan = self._visits(1)
        if global_step <= WARMUP_STEPS:
            return
        setting = self._plan[self._slot]
        first_of_visit = self._slot % self._steps_per_visit == 0
        if not first_of_visit:
            self._times[setting].append(images / max(seconds, 1e-9))
        self._slot += 1
        if self._slot == len(self.candidates) * self._steps_per_visit:
            self._drop_the_clearly_slower()
        if self._slot < len(self._plan):
            return
        self.enabled = False
        speeds = {c: statistics.median(v) for c, v in self._times.items() if v}
        self.chosen = _pick(speeds)
        self._apply(self.chosen)
        measured = ", ".join(f"{c.label}: {ips:.0f} img/s" for c, ips in speeds.items())
        self._messages.append(f"CPU: using {self.chosen.label} (measured {measured}).")
        if self._on_chosen is not None:
            self._on_chosen(self.chosen, {c.label: ips for c, ips in speeds.items()})

    def _drop_the_clearly_slower(self) -> None:
        """After one visit each, a setting at under half the best speed cannot win: its
        second visit would only cost time (2-16x slower steps on a busy 2-core machine)."""
        speeds = {c: statistics.median(v) for c, v in self._times.items() if v}
        if not speeds:
            return
        best = max(speeds.values())
        keep = {c for c, v in speeds.items() if v >= SLOWER_THAN_BEST * best}
        done, rest = self._plan[: self._slot], self._plan[self._slot :]
        self._plan = done + [c for c in rest if c in keep]

    def messages(self) -> list[str]:
        out, self._messages = self._messages, []
        return out


BF16_MIN_GAIN = 1.15  # bf16 costs some precision: take it only for a clear speed-up


def _pick(speeds: dict[CpuSetting, float]) -> CpuSetting:
    fastest = max(speeds, key=speeds.get)
    fp32 = {c: v for c, v in speeds.items() if not c.precision.enabled}
    if fastest.precision.enabled and fp32:
        best_fp32 = max(fp32, key=fp32.get)
        if speeds[fastest] < BF16_MIN_GAIN * speeds[best_fp32]:
            return best_fp32
    return fastest


class SpeedMeter:
    """Exponential moving average of images per second, for the time-remaining estimate."""

    def __init__(self, alpha: float = 0.3) -> None:
        self.alpha = alpha
        self.value = 0.0

    def add(self, ips: float) -> None:
        self.value = ips if self.value == 0 else self.alpha * ips + (1 - self.alpha) * self.value
