"""RunProgress without Qt: the figures under the progress bar are honest about pauses,
Resume and the CPU tuner (driven by a fake clock)."""

from __future__ import annotations

from core.events import StepEnded
from gui.train.run_progress import RunProgress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _step(ips: float = 250.0, eta: float = 65.0, measuring: bool = False) -> StepEnded:
    return StepEnded(0, 3, 3, 10, 0.5, 1e-3, ips, eta, measuring)


def test_speed_time_left_and_elapsed():
    clock = Clock()
    progress = RunProgress(clock)
    progress.start()
    clock.now += 20
    progress.step(_step())
    assert progress.details() == "250 img/s · 1 min 05 s left · elapsed 20 s"
    clock.now += 5  # the ETA counts down between steps
    assert "1 min 00 s left" in progress.details()


def test_a_pause_counts_neither_in_elapsed_nor_in_the_speed_after_resume():
    clock = Clock()
    progress = RunProgress(clock)
    progress.start()
    clock.now += 30
    progress.step(_step())
    progress.pause()
    clock.now += 600
    assert progress.details() == "paused · elapsed 30 s"
    progress.resume()
    clock.now += 1
    # Before the first step after Resume there is no fresh speed: no "3 img/s".
    assert progress.details() == "resuming… · elapsed 31 s"
    progress.step(_step(ips=240))
    assert progress.details().startswith("240 img/s")


def test_while_the_cpu_tuner_measures_no_eta_is_shown():
    clock = Clock()
    progress = RunProgress(clock)
    progress.start()
    progress.step(_step(ips=30, eta=900, measuring=True))
    assert progress.details() == "measuring the speed… · elapsed 0.0 s"
    assert "left" not in progress.details()
