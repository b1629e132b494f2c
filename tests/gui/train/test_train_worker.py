"""A training run as a gui.jobs job (events cross threads on one signal; stop, pause,
shutdown) and TorchLoader (torch off the GUI thread)."""

# Fixtures come from tests.gui.helpers: imported by name, used as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from core.data.datasets import DatasetReport
from core.events import LogMessage, RunFinished, StepEnded
from gui.jobs import JobEnded, JobRunner
from gui.train.train_job import training_job
from tests.gui.helpers import shapes_dataset, tiny_config

pytestmark = pytest.mark.usefixtures("qapp")


def _start(runner: JobRunner, config, fit=None) -> list:
    """Connected before the thread starts: not one event can be missed."""
    seen: list = []
    runner.event.connect(seen.append)
    runner.start(training_job(config, fit), stop_at_yield=False)
    return seen


def _wait_ended(qtbot, seen: list, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: bool(seen) and isinstance(seen[-1], JobEnded), timeout=timeout)


def _finished(status: str = "completed") -> RunFinished:
    return RunFinished(status, "done", "/nowhere/run", 1, 0.5, 0, None)


def test_real_run_arrives_as_signals_in_order(qtbot, shapes_dataset, tmp_path):
    # The engine itself on the job's thread (the window trains in a child process, whose
    # events arrive the same way: tests/gui/train/test_training_window.py): quicker here.
    from core.train.loop import fit

    runner = JobRunner()
    seen = _start(runner, tiny_config(shapes_dataset, tmp_path / "run"), fit)
    _wait_ended(qtbot, seen, timeout=60_000)
    seen.pop()  # the JobEnded
    names = [type(e).__name__ for e in seen]
    assert names[-1] == "RunFinished" and seen[-1].status == "completed", seen[-1]
    assert names.count("EpochEnded") == 2 and names.count("PredictionsSampled") == 2
    assert names.index("RunStarted") < names.index("StepEnded") < names.index("EpochEnded")
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert not runner.is_running()


def test_five_thousand_step_signals_reach_the_dashboard(qtbot):
    from gui.train.training_dashboard import TrainingDashboard

    def fake_fit(config, control):
        for i in range(5000):
            yield StepEnded(i // 100, i % 100, i, 100, 1.0 / (i + 1), 1e-3, 500.0, 5000 - i)
        yield _finished()

    dashboard = TrainingDashboard()
    qtbot.addWidget(dashboard)
    runner = JobRunner()
    runner.event.connect(dashboard.on_event)
    seen = _start(runner, tiny_config("/nowhere", "/nowhere/run"), fake_fit)
    dashboard.start_run()
    _wait_ended(qtbot, seen, timeout=30_000)
    curve = dashboard.plots.curves["train_loss_raw"]
    qtbot.waitUntil(lambda: curve.xData is not None and len(curve.xData) == 5000)
    assert dashboard.progress.last_step.global_step == 4999
    assert "completed" in dashboard.status_label.text()


def test_a_crash_outside_the_engine_ends_as_a_failed_run(qtbot):
    def broken_fit(config, control):
        yield LogMessage("info", "starting")
        raise RuntimeError("boom")

    runner = JobRunner()
    seen = _start(runner, tiny_config("/nowhere", "/nowhere/run"), broken_fit)
    _wait_ended(qtbot, seen)
    finished = [e for e in seen if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0].status == "failed"
    assert "boom" in finished[0].reason
    assert any(isinstance(e, LogMessage) and "RuntimeError" in e.text for e in seen)


def _endless_fit(config, control):
    step = 0
    while not control.checkpoint():
        yield StepEnded(0, step, step, 10**6, 1.0, 1e-3, 100.0, 1e6)
        step += 1
        time.sleep(0.005)
    yield _finished("stopped")


def test_pause_holds_the_loop_and_resume_continues(qtbot):
    runner = JobRunner()
    yielded: list = []

    def fit_paused_at_the_fourth_step(config, control):
        for event in _endless_fit(config, control):
            yield event
            yielded.append(event)
            if len(yielded) == 4:
                # In the worker thread, as the 4th step is taken: the pause is in place
                # before the loop's next checkpoint, so not one more step may come.
                runner.pause()

    steps = _start(runner, tiny_config("/nowhere", "/nowhere/run"), fit_paused_at_the_fourth_step)
    try:
        qtbot.waitUntil(lambda: len(steps) >= 4, timeout=10_000)
        assert runner.control.paused
        qtbot.wait(500)  # dozens of steps, were the pause ignored
        assert len(steps) == len(yielded) == 4, "steps kept coming while paused"
        runner.resume()
        qtbot.waitUntil(lambda: len(steps) > 7, timeout=10_000)
    finally:  # the endless job must end even when an assertion failed
        runner.request_stop()
        _wait_ended(qtbot, steps)
    assert steps[-2].status == "stopped"
    numbers = [e.global_step for e in steps[:-2]]
    assert numbers == list(range(len(numbers)))  # resumed where it paused: none lost


def test_shutdown_stops_and_joins_the_thread(qtbot):
    runner = JobRunner()
    _start(runner, tiny_config("/nowhere", "/nowhere/run"), _endless_fit)
    thread = runner.thread
    qtbot.wait(100)
    assert runner.shutdown(timeout_ms=20_000)  # True: the worker ended within the timeout
    assert not runner.is_running()
    assert thread.isFinished()
    assert runner.shutdown() is True  # idempotent


def test_a_new_run_can_start_right_after_the_last_one_ended(qtbot):
    def quick_fit(config, control):
        yield _finished()

    runner = JobRunner()
    config = tiny_config("/nowhere", "/nowhere/run")
    for _ in range(3):
        seen = _start(runner, config, quick_fit)
        with pytest.raises(RuntimeError):
            runner.start(training_job(config, quick_fit))
        _wait_ended(qtbot, seen)
    assert not runner.is_running()


def test_torch_loader_reports_devices_and_architectures(qtbot):
    from gui.torch_loader import TorchLoader

    loader = TorchLoader()
    devices: list[str] = []
    loader.deviceDetected.connect(devices.append)
    with qtbot.waitSignal(loader.loaded, timeout=120_000) as blocker:
        loader.start()
    info = blocker.args[0]
    loader.shutdown()
    assert not loader.is_running()
    assert devices and devices[0] == info["device_line"]
    assert info["torch_version"] and isinstance(info["cuda"], bool)
    keys = [d.key for d in info["devices"]]
    assert keys[0] == "auto" and "cpu" in keys
    names = [a["name"] for a in info["architectures"]]
    assert "simple_cnn" in names and "resnet18" in names
    resnet = next(a for a in info["architectures"] if a["name"] == "resnet18")
    assert resnet["params"] > 10_000_000
    assert resnet["weights"] in ("cached", "downloadable", "unavailable")


def test_the_status_line_names_the_device_training_will_use_not_an_unsupported_gpu():
    from core.device import DeviceChoice
    from gui.torch_loader import device_line

    old_gpu = DeviceChoice(
        "cuda:0", "GeForce GTX 1080 (8 GB) (not supported by this PyTorch)", False
    )
    new_gpu = DeviceChoice("cuda:1", "NVIDIA RTX A4000 (16 GB)")
    cpu = DeviceChoice("cpu", "CPU (8 cores)")
    assert device_line([DeviceChoice("auto", "Auto (CPU)"), old_gpu, cpu]) == "CPU (8 cores)"
    assert device_line([old_gpu, new_gpu, cpu]) == "GPU: NVIDIA RTX A4000 (16 GB)"
