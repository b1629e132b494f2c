"""Training in another process, as the window runs "All N GPUs" (core.train.child_run): the
command carries every setting, events stream back typed, pause/resume/stop reach the child
through the control file, a crash gives a readable failure, and no process is left behind.
Fake children (tests/core/train/fake_training_child.py) need no torch; one real
`main.py train --events json --control-file` run on tiny data proves the CLI side."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import main
from core.cli.commands import _train_config, build_parser
from core.control import RunControl
from core.control_file import FileControl, read_control, write_control
from core.event_stream import EventDecoder, EventStreamError
from core.events import EpochEnded, LogMessage, PredictionsSampled, RunFinished, StepEnded
from core.train.child_process import NICENESS, ChildProcess, is_alive
from core.train.child_run import Timeouts, distributed_fit, run_child
from core.train.config import AugmentConfig, TrainConfig
from core.train.launch import (
    LAUNCH_COMMAND,
    MAIN_SCRIPT,
    ChildFiles,
    child_command,
    train_arguments,
)
from core.train.settings import setting_fields
from tests.core.image_factory import make_shapes_dataset

FAKE_CHILD = str(Path(__file__).with_name("fake_training_child.py"))
QUICK = Timeouts(stop_grace_s=0.5, terminate_grace_s=0.5, finished_grace_s=5.0)


def _fake(mode: str, tmp_path: Path) -> tuple[list[str], ChildFiles]:
    return [sys.executable, FAKE_CHILD, mode, str(tmp_path)], ChildFiles.in_folder(str(tmp_path))


def test_the_command_carries_every_setting_back_into_the_same_config(tmp_path):
    config = TrainConfig(
        data_dir=str(tmp_path / "data"),
        out_dir=str(tmp_path / "run"),
        arch="resnet18",
        pretrained=True,
        epochs=7,
        lr=0.012345678901234567,  # repr() keeps every digit
        optimizer="nesterov",
        schedule="step",
        augment=AugmentConfig(hflip=False, vflip=True, rotation_degrees=12.5),
        num_workers=-1,  # auto, and a number that looks like a flag
        early_stopping_patience=3,
        device="cuda:all",
    )
    files = ChildFiles("CONTROL", "EVENTS", "LOG")
    command = child_command(config, 1, files, worker_device="cpu")
    assert command[:3] == [sys.executable, MAIN_SCRIPT, "train"]
    assert command[-8:] == ["--events", "json", "--events-file", "EVENTS", "--log-file", "LOG",
                            "--control-file", "CONTROL"]  # fmt: skip
    parsed = _train_config(build_parser().parse_args(command[2:]))
    assert parsed == TrainConfig(**{**config.__dict__, "device": "cpu"})
    assert "--no-hflip" in command and "--vflip" in command


def test_every_config_field_has_a_way_into_the_child():
    # A field without a setting (and so without a flag) would silently stay at its default
    # in an 'All N GPUs' run: only these three are carried otherwise.
    flagged = {item.key.split(".")[0] for item in setting_fields(TrainConfig)}
    plain = {f.name for f in dataclasses.fields(TrainConfig)} - flagged
    assert plain == {"data_dir", "out_dir", "resume"}


def test_a_resumed_run_is_resumed_by_the_child(tmp_path):
    config = TrainConfig(data_dir="d", out_dir="r", resume=True)
    words = train_arguments(config)
    assert words[:5] == ["train", str(Path("d").resolve()), "--out", str(Path("r").resolve()),
                         "--resume"]  # fmt: skip
    assert not any(w.startswith("--weights") for w in words)  # no weights file: no flag


def test_the_launcher_command_from_source_and_from_a_bundle():
    config = TrainConfig(data_dir="/d", out_dir="/r")
    files = ChildFiles("F", "E", "L")
    source = child_command(config, 2, files, frozen=False, executable="/py")
    assert source[:6] == ["/py", "-m", "torch.distributed.run", "--standalone",
                          "--nproc-per-node=2", MAIN_SCRIPT]  # fmt: skip
    assert source[6:9] == ["train", "/d", "--out"] and "--device=cuda" in source
    bundled = child_command(config, 4, files, frozen=True, executable="/app/loupe")
    assert bundled[:6] == ["/app/loupe", LAUNCH_COMMAND, "--standalone",
                           "--nproc-per-node=4", "--no-python", "/app/loupe"]  # fmt: skip
    assert bundled[6:8] == ["train", "/d"] and bundled[-2:] == ["--control-file", "F"]


@pytest.mark.filterwarnings("ignore:Unable to enable fault handler")  # pytest owns stderr
def test_the_hidden_launcher_entry_is_torchruns_command_line(capsys):
    assert main.main([LAUNCH_COMMAND, "--help"]) == 0
    assert "--nproc-per-node" in capsys.readouterr().out


def test_the_control_file_pauses_resumes_and_stops_a_waiting_loop(tmp_path):
    path = str(tmp_path / "control")
    control = FileControl(path, poll_interval_s=0.01)
    assert not control.checkpoint()  # no file yet: nothing asked
    write_control(path, "pause")
    assert read_control(path) == "pause"
    time.sleep(0.05)  # the file is looked at every poll interval, not at every call
    # The processes of a data-parallel run hold a pause together, one short wait at a time.
    assert not control.checkpoint(wait_limit=0.05) and control.paused
    answers: list[bool] = []
    loop = threading.Thread(target=lambda: answers.append(control.checkpoint()))
    loop.start()
    loop.join(0.3)
    assert loop.is_alive() and control.paused  # held at its safe point
    write_control(path, "resume")
    loop.join(5)
    assert answers == [False] and control.paused_seconds > 0.2
    write_control(path, "stop")
    time.sleep(0.05)
    assert control.stop_requested and control.checkpoint()
    with pytest.raises(ValueError):
        write_control(path, "explode")


def test_pause_resume_and_stop_reach_the_child(tmp_path):
    command, files = _fake("obey", tmp_path)
    control = RunControl()
    texts: list[str] = []
    steps = 0
    config = TrainConfig(data_dir="d", out_dir=str(tmp_path / "run"))
    for event in run_child(command, control, config, files, QUICK):
        if isinstance(event, StepEnded):
            steps += 1
            if steps == 3:
                control.pause()
        elif isinstance(event, LogMessage):
            texts.append(event.text)
            if event.text == "paused":
                control.resume()
            elif event.text == "resumed":
                control.request_stop()
        last = event
    assert texts == ["paused", "resumed"]
    assert isinstance(last, RunFinished) and last.status == "stopped"


def test_the_child_never_waits_for_a_paused_window_to_read_its_events(tmp_path):
    # While the window is paused its job thread does not read; a child blocked on a full
    # pipe could not reach its pause (and its peers would wait in a collective until failing).
    command, files = _fake("flood", tmp_path)
    config = TrainConfig(data_dir="d", out_dir=str(tmp_path / "run"))
    events = run_child(command, RunControl(), config, files, QUICK)
    first = next(events)
    assert first.text.startswith("0 ")
    done = Path(files.control + ".done")
    deadline = time.monotonic() + 20
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # not reading, as a paused job
    assert done.exists()
    rest = list(events)
    assert len(rest) == 40 and rest[-1].status == "completed"


def test_a_crash_ends_with_a_failure_saying_why(tmp_path):
    command, files = _fake("noise", tmp_path)
    config = TrainConfig(data_dir="d", out_dir=str(tmp_path / "run"))
    events = list(run_child(command, RunControl(), config, files, QUICK))
    texts = [e.text for e in events if isinstance(e, LogMessage)]
    assert texts[0] == "hello"
    # What the child printed and logged goes to the window's log with the failure.
    assert "a library printed this" in texts[-1] and "ValueError: bad thing" in texts[-1]
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "failed"
    assert "exit code 3" in finished.reason and "ValueError: bad thing" in finished.reason


def test_a_child_that_ignores_stop_is_ended_with_everything_it_started(tmp_path):
    command, files = _fake("stubborn", tmp_path)
    control = RunControl()
    config = TrainConfig(data_dir="d", out_dir=str(tmp_path / "run"))
    pids: list[int] = []
    for event in run_child(command, control, config, files, QUICK):
        if isinstance(event, LogMessage) and event.text.startswith("pids"):
            pids = [int(p) for p in event.text.split()[1:]]
            assert all(is_alive(p) for p in pids)
            time.sleep(1.0)  # the relay looks at the tree once a second
            control.request_stop()
        last = event
    assert read_control(files.control) == "stop"  # asked politely first
    assert last.status == "stopped" and "did not stop in time" in last.reason
    assert len(pids) == 2 and not any(is_alive(p) for p in pids)


def test_a_real_training_process_streams_its_events_and_stops(tmp_path, monkeypatch):
    stray: list[str] = []  # stdout lines that are not events: there must be none

    real_decode = EventDecoder.decode

    def strict_decode(self, line: str):
        try:
            return real_decode(self, line)
        except EventStreamError:
            stray.append(line)
            raise

    monkeypatch.setattr(EventDecoder, "decode", strict_decode)
    data = make_shapes_dataset(tmp_path / "shapes", per_class=8, size=16)
    run = tmp_path / "run"
    config = TrainConfig(
        data_dir=str(data), out_dir=str(run), arch="simple_cnn", epochs=200, batch_size=8,
        image_size=16, cpu_threads=1, num_workers=0, mixed_precision="off",
        prediction_samples=4,
    )  # fmt: skip
    control = RunControl()
    events = []
    for event in distributed_fit(config, control, processes=1, worker_device="cpu"):
        events.append(event)
        if isinstance(event, EpochEnded):
            control.request_stop()
    kinds = [type(e).__name__ for e in events]
    assert "RunStarted" in kinds and "StepEnded" in kinds and "EpochEnded" in kinds
    sampled = next(e for e in events if isinstance(e, PredictionsSampled))
    assert sampled.samples[0].image.shape == (16, 16, 3)
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "stopped", finished.reason
    assert finished.epochs_completed >= 1 and finished.model_path == str(run / "model.safetensors")
    assert json.loads((run / "run.json").read_text())["status"] == "stopped"
    assert not list(tmp_path.glob("loupe-control-*"))
    assert stray == []  # progress and messages for people went to stderr


def test_a_process_id_given_to_another_program_since_is_never_signalled():
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        child = ChildProcess([sys.executable, "-c", "import time; time.sleep(60)"])
        child.tree()
        # As if a worker seen earlier had ended and its id now belonged to the bystander.
        child.seen[bystander.pid] = "another start time"
        child.end(terminate_grace_s=2.0)
        assert not child.running() and bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_all_gpus_without_two_gpus_fails_in_one_sentence_before_starting_anything(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("core.device.usable_gpu_count", lambda: 1)
    config = TrainConfig(data_dir="d", out_dir=str(tmp_path / "run"), device="cuda:all")
    events = list(distributed_fit(config, RunControl()))
    assert [type(e) for e in events] == [LogMessage, RunFinished]
    assert events[-1].status == "failed" and "has 1" in events[-1].reason
    assert not (tmp_path / "run").exists()


def test_a_crash_in_the_training_process_is_written_to_its_log_file(tmp_path, monkeypatch):
    # A windowed bundle has no stderr: the traceback and a one-line reason must reach the
    # --log-file the window reads, and the process must end with an error, not a dialog.
    def crashing_fit(config, control):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")
        yield

    monkeypatch.setattr("core.train.loop.fit", crashing_fit)
    data = make_shapes_dataset(tmp_path / "shapes", per_class=4, size=16)
    log = tmp_path / "log.txt"
    events = tmp_path / "events.jsonl"
    argv = ["train", str(data), "--out", str(tmp_path / "run"), "--events", "json",
            "--events-file", str(events), "--log-file", str(log)]  # fmt: skip
    with pytest.raises(SystemExit) as ended:
        main.main(argv)
    assert ended.value.code == 1
    lines = log.read_text().splitlines()
    assert "Traceback (most recent call last):" in lines
    assert lines[-1] == (
        "loupe: error: Training crashed: RuntimeError: CUDA error: an illegal memory access "
        "was encountered"
    )
    assert sys.stderr is not None and sys.stdout is not None  # restored


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="Unix niceness")
def test_a_training_process_runs_below_the_window_so_the_window_gets_a_core_first():
    child = ChildProcess([sys.executable, "-c", "import time; time.sleep(60)"], lower_priority=True)
    try:
        here = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, here + NICENESS) > here
    finally:
        child.end(terminate_grace_s=2.0)


@pytest.mark.skipif(not os.path.exists("/proc/self/autogroup"), reason="Linux autogroups only")
def test_a_training_process_yields_the_cpu_to_the_window_under_linux_autogroups():
    # The child leads a session of its own, which autogroups schedule as a whole: its nice
    # value alone gave it an equal share beside the window's GUI thread.
    # The window's own autogroup reads empty when it is the root one (a container, a service).
    with open("/proc/self/autogroup") as ours:
        own_before = ours.read()
    child = ChildProcess([sys.executable, "-c", "import time; time.sleep(60)"], lower_priority=True)
    try:
        with open(f"/proc/{child.pid}/autogroup") as theirs, open("/proc/self/autogroup") as ours:
            said, own = theirs.read().split(), ours.read()
        assert said[-1] == str(NICENESS)
        assert own == own_before  # the window's group is untouched
        assert not own or said[0] != own.split()[0]  # the child has a group of its own
    finally:
        child.end(terminate_grace_s=2.0)
