"""The CPU tuner times each candidate setting and keeps the fastest."""

from __future__ import annotations

import time

import torch

from core.train.cpu_tuner import (
    BF16,
    FP32,
    ROUNDS,
    STEPS_PER_VISIT,
    WARMUP_STEPS,
    CpuSetting,
    CpuTuner,
)


def test_tuner_keeps_the_fastest_candidate_and_says_so():
    slow, fast = CpuSetting(1, FP32), CpuSetting(1, BF16)
    tuner = CpuTuner([slow, fast], FP32)
    steps = WARMUP_STEPS + ROUNDS * 2 * STEPS_PER_VISIT
    used = []
    for step in range(steps):
        precision = tuner.before_step(step)
        used.append(precision)
        time.sleep(0.004 if precision == FP32 else 0.001)  # bf16 "runs" 4x faster here
        tuner.after_step(step + 1, 8)
    assert tuner.chosen == fast and not tuner.enabled
    assert tuner.before_step(steps) == BF16
    assert FP32 in used[WARMUP_STEPS:] and BF16 in used[WARMUP_STEPS:]  # both were tried
    (message,) = tuner.messages()
    assert "using 1 thread, bf16" in message


def test_single_candidate_is_applied_without_measuring():
    before = torch.get_num_threads()
    tuner = CpuTuner([CpuSetting(1, FP32)], FP32)
    assert not tuner.enabled and torch.get_num_threads() == 1
    assert tuner.before_step(5) == FP32 and tuner.messages() == []
    torch.set_num_threads(before)


def test_off_the_cpu_the_tuner_does_nothing():
    tuner = CpuTuner([], BF16)
    assert tuner.before_step(3) == BF16 and not tuner.enabled


def test_a_clearly_slower_setting_is_not_visited_twice():
    from core.train.cpu_tuner import SLOWER_THAN_BEST

    slow, fast = CpuSetting(1, FP32), CpuSetting(1, BF16)
    tuner = CpuTuner([slow, fast], FP32)
    used = []
    step = 0
    while tuner.enabled:
        precision = tuner.before_step(step)
        if step >= WARMUP_STEPS:
            used.append(precision)
        time.sleep(0.001 if precision == BF16 else 0.001 / SLOWER_THAN_BEST * 3)
        tuner.after_step(step + 1, 8)
        step += 1
    assert tuner.chosen == fast
    assert used.count(FP32) == STEPS_PER_VISIT  # one visit: its second would be wasted time
    assert used.count(BF16) == ROUNDS * STEPS_PER_VISIT


def test_slow_steps_are_timed_in_one_short_round(monkeypatch):
    """A pretrained network on photos takes seconds a step on a CPU: the full plan would spend
    a quarter of a small run measuring, with no time left shown meanwhile."""
    from core.train import cpu_tuner

    monkeypatch.setattr(cpu_tuner, "SLOW_STEP_S", 0.01)  # "slow" here: 20 ms steps
    candidates = [CpuSetting(1, FP32), CpuSetting(2, FP32), CpuSetting(1, BF16)]
    tuner = CpuTuner(candidates, FP32)
    step = 0
    while tuner.enabled:
        precision = tuner.before_step(step)
        time.sleep(0.02 if precision == FP32 else 0.03)
        tuner.after_step(step + 1, 8)
        step += 1
    assert step == WARMUP_STEPS + len(candidates) * cpu_tuner.SLOW_STEPS_PER_VISIT  # 8, not 20
    assert tuner.chosen.precision == FP32  # and it still chose by what it measured
    assert "measured 1 thread, fp32" in tuner.messages()[0]


def test_fast_steps_keep_the_full_plan():
    candidates = [CpuSetting(1, FP32), CpuSetting(1, BF16)]
    tuner = CpuTuner(candidates, FP32)
    step = 0
    while tuner.enabled:
        tuner.before_step(step)
        time.sleep(0.001)
        tuner.after_step(step + 1, 8)
        step += 1
    assert step == WARMUP_STEPS + ROUNDS * len(candidates) * STEPS_PER_VISIT
