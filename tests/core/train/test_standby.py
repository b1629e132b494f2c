"""The standby training process: a run handed to it trains in it, a command it cannot run
starts cold instead, and it never outlives its window."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.control import RunControl
from core.events import RunFinished
from core.train import standby as standby_module
from core.train.child_process import child_environment, is_alive
from core.train.child_run import child_fit
from core.train.config import TrainConfig
from core.train.standby import Standby
from tests.core.image_factory import make_shapes_dataset

ROOT = Path(__file__).resolve().parents[3]
# A stand-in that waits for its command like the real one, without loading torch.
WAITS = "import sys; sys.stdin.readline()"


@pytest.fixture(autouse=True)
def _standby_on(monkeypatch):
    monkeypatch.setattr(standby_module, "START_AHEAD", True)


def _wait_until_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not is_alive(pid)


def test_a_run_handed_to_the_standby_trains_in_that_process(tmp_path):
    data = make_shapes_dataset(tmp_path / "data", per_class=6, size=16)
    standby = Standby()
    standby.start()
    pid = standby.pid
    assert standby.ready()
    config = TrainConfig(
        data_dir=str(data), out_dir=str(tmp_path / "run"), epochs=1, batch_size=8, device="cpu"
    )
    events = list(child_fit(config, RunControl(), standby))
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "completed", finished
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert json.loads((tmp_path / "run" / "run.json").read_text())["pid"] == pid
    assert not standby.ready()  # used up: the window starts the next one
    assert _wait_until_gone(pid, 10)


def test_commands_the_standby_cannot_run_start_cold_and_leave_it_alone():
    program = [sys.executable, "-c", WAITS]
    standby = Standby(program)
    env = child_environment()
    standby.start(env)
    try:
        # torchrun's launcher, and another program, are not the standby's to run
        assert standby.take([sys.executable, "-m", "torch.distributed.run", "x"], env) is None
        assert standby.take(["/elsewhere/python", "main.py", "train", "d"], env) is None
        assert standby.take([*program, "classify", "d"], env) is None
        assert standby.ready()
        # another environment: the standby would run the command with the old one
        assert standby.take([*program, "train", "d"], {**env, "CUDA_VISIBLE_DEVICES": "1"}) is None
        assert not standby.ready()  # it was ended: a new one must start with the new values
    finally:
        standby.end()


def test_a_standby_that_died_is_not_handed_a_run():
    program = [sys.executable, "-c", WAITS]
    standby = Standby(program)
    env = child_environment()
    standby.start(env)
    pid = standby.pid
    standby._child.kill()  # as if the system had ended it
    assert _wait_until_gone(pid, 10)
    assert standby.take([*program, "train", "d"], env) is None
    standby.start(env)  # and a new one takes its place
    assert standby.ready() and standby.pid != pid
    standby.end()
    assert not standby.ready()


WINDOW_THAT_DIES = """
import os, sys
from core.train import standby
standby.START_AHEAD = True
s = standby.Standby()
s.start()
print(s.pid, flush=True)
os._exit(0)  # a crash: nothing ends the standby
"""


def test_a_standby_ends_when_its_window_goes_without_a_run():
    done = subprocess.run(
        [sys.executable, "-c", WINDOW_THAT_DIES], cwd=ROOT, capture_output=True, text=True
    )
    pid = int(done.stdout.split()[0])
    assert _wait_until_gone(pid, 90)  # it loads torch first, then reads the end of its input


def test_a_standby_refuses_anything_but_a_train_command():
    done = subprocess.run(
        [sys.executable, "main.py", "train-standby"],
        cwd=ROOT,
        input='["classify", "folder"]\n',
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "train-standby expects a train command" in done.stdout + done.stderr
