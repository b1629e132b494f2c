"""The window's dataset check runs in a process of its own (core.data.doctor_process): the
same events and report as the doctor in-process, a stop or a closed stdin ends the process,
a process that will not end is killed, and one that dies says so in one sentence."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time

import pytest

import core.data.doctor_process as doctor_process
from core.control import RunControl
from core.data.doctor import DoctorConfig, DoctorFinished, DoctorProgress, check_dataset
from core.data.doctor_process import (
    DoctorWireError,
    WorkerError,
    check_in_process,
    decode_config,
    decode_event,
    encode_config,
    encode_event,
    worker_command,
)
from core.errors import LoupeError
from core.train.child_process import is_alive
from core.train.launch import MAIN_SCRIPT
from tests.core.image_factory import make_shapes_dataset


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    root = make_shapes_dataset(tmp_path_factory.mktemp("doctor-process") / "data", per_class=8,
                               size=24, seed=7)  # fmt: skip
    shutil.copy(root / "circle" / "circle_000.png", root / "square" / "wrong.png")
    shutil.copy(root / "triangle" / "triangle_001.png", root / "triangle" / "again.png")
    return root


def test_messages_read_back_exactly():
    report = {"classes": ["cät", "dog"], "label_issues": [{"path": "dog/ü.png", "score": 0.1 + 0.2}],
              "seconds": {"scan": 1e-300}, "files": {"dog/ü.png": {"label": "dog", "split": "val"}}}  # fmt: skip
    events = [DoctorProgress("Reading images", 256, 3540), DoctorFinished("completed", "Checked.",
              report), DoctorFinished("stopped", "Dataset check stopped."), WorkerError("Bug: x")]  # fmt: skip
    for event in events:
        line = encode_event(event)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert decode_event(line) == event
    config = DoctorConfig("/data/ü", None, 0.25, 3)
    assert decode_config(encode_config(config)) == config
    with pytest.raises(DoctorWireError, match="Not a message of the dataset check"):
        decode_event(b"Warning: something printed\n")


def test_the_command_runs_main_py_from_source_and_the_executable_in_a_bundle():
    assert worker_command(frozen=False, executable="/py") == ["/py", MAIN_SCRIPT, "doctor-worker"]
    assert worker_command(frozen=True, executable="/app/Loupe") == ["/app/Loupe", "doctor-worker"]


def test_the_process_gives_the_same_events_and_report_as_the_doctor_in_process(small_data):
    config = DoctorConfig(str(small_data), None, 0.2, 0)
    pids: list[int] = []
    there = list(check_in_process(config, RunControl(), started=pids))
    here = list(check_dataset(config, RunControl()))
    assert [e for e in there if isinstance(e, DoctorProgress)] == here[:-1]
    assert isinstance(there[-1], DoctorFinished) and there[-1].status == "completed"
    assert there[-1].reason == here[-1].reason
    scores = []
    for report in (there[-1].report, here[-1].report):
        del report["created"], report["seconds"]  # when, and how long each stage took
        # The same to the last digit here; the process's torch may use another thread count,
        # which can move a score's last rounded digit.
        scores.append([x.pop("score") for key in ("label_issues", "outliers") for x in report[key]])
    assert there[-1].report == here[-1].report
    assert scores[0] == pytest.approx(scores[1], abs=2e-3)
    assert here[-1].report["exact_duplicates"] and here[-1].report["label_issues"]
    assert not is_alive(pids[0])


def test_the_worker_ends_at_once_when_its_stdin_closes_mid_check(small_data):
    worker = subprocess.Popen(worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    worker.stdin.write(encode_config(DoctorConfig(str(small_data))))
    worker.stdin.flush()
    first = decode_event(worker.stdout.readline())  # it is checking
    assert isinstance(first, DoctorProgress)
    worker.stdin.close()  # the window stopped the check, closed the dialog, or died
    assert worker.wait(timeout=30) == 0
    worker.stdout.close()


def _fake(body: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(body)]


SLOW = """
    import sys, time
    sys.stdin.readline()
    print('{"type":"progress","stage":"Reading images","done":1,"total":9}', flush=True)
    sys.stdin.read()  # until the window's side closes it
    time.sleep(60)  # and then some: only a signal ends it
"""


def test_a_stop_ends_the_check_and_its_process(monkeypatch):
    monkeypatch.setattr(doctor_process, "END_GRACE_S", 0.2)
    control, pids = RunControl(), []
    check = check_in_process(DoctorConfig("/data"), control, _fake(SLOW), started=pids)
    assert next(check) == DoctorProgress("Reading images", 1, 9)
    assert is_alive(pids[0])
    control.request_stop()
    assert list(check) == []  # nothing after a stop
    assert not is_alive(pids[0])


STUBBORN = """
    import signal, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.stdin.readline()
    print('{"type":"progress","stage":"Reading images","done":1,"total":9}', flush=True)
    sys.stdin.read()
    time.sleep(60)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a kill on Windows")
def test_a_process_that_ignores_the_end_is_killed(monkeypatch):
    monkeypatch.setattr(doctor_process, "END_GRACE_S", 0.2)
    pids: list[int] = []
    check = check_in_process(DoctorConfig("/data"), RunControl(), _fake(STUBBORN), started=pids)
    next(check)
    started = time.monotonic()
    check.close()  # what the job worker does when a stop comes at a yield
    assert not is_alive(pids[0]) and time.monotonic() - started < 10


DIES = """
    import sys
    sys.stdin.readline()
    print('{"type":"progress","stage":"Describing images","done":0,"total":9}', flush=True)
    sys.stderr.write("MemoryError: cannot allocate 2 GiB for the features\\n")
    sys.exit(3)
"""


def test_a_process_that_dies_says_so_in_one_sentence():
    check = check_in_process(DoctorConfig("/data"), RunControl(), _fake(DIES))
    assert next(check).stage == "Describing images"
    with pytest.raises(LoupeError) as failed:
        next(check)
    assert str(failed.value) == (
        "The dataset check's process ended (exit code 3) unexpectedly: "
        "MemoryError: cannot allocate 2 GiB for the features"
    )


FAILS = """
    import sys
    sys.stdin.readline()
    print('{"type":"error","message":"KeyError: \\'label\\'"}', flush=True)
    sys.stdin.read()
"""


def test_an_error_in_the_process_reads_as_it_would_in_the_window():
    with pytest.raises(LoupeError, match="^KeyError: 'label'$"):
        list(check_in_process(DoctorConfig("/data"), RunControl(), _fake(FAILS)))


def test_a_missing_folder_fails_as_the_doctor_in_process_does(tmp_path):
    config = DoctorConfig(str(tmp_path / "nope"))
    there = list(check_in_process(config, RunControl()))
    here = list(check_dataset(config, RunControl()))
    assert there[-1] == here[-1] and there[-1].status == "failed"
