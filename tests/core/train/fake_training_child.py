"""A stand-in for `main.py train --events json --control-file F`, for the tests of
core.train.child_run that need no torch: `python fake_training_child.py MODE CONTROL_FILE`.

  obey       report steps, obey the control file like the real trainer (core.control_file),
             log "paused"/"resumed", end with RunFinished("stopped") once told to stop
  stubborn   start a grandchild in a session of its own (as torchrun starts its workers),
             report both pids, then ignore SIGTERM and the control file: only SIGKILL ends it
  noise      print a line that is not an event, then one event, then end without RunFinished
  flood      send 2 MB of events (more than a pipe holds), then write CONTROL_FILE.done and end
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from core.control_file import FileControl  # noqa: E402
from core.event_stream import encode  # noqa: E402
from core.events import LogMessage, RunFinished, StepEnded  # noqa: E402


def send(event: object) -> None:
    print(encode(event), flush=True)


def obey(control_file: str) -> None:
    control = FileControl(control_file, poll_interval_s=0.02)
    was_paused = False
    step = 0
    while True:
        control.poll(force=True)
        if control.paused and not was_paused:
            was_paused = True
            send(LogMessage("info", "paused"))
        if control.checkpoint():  # held here while paused
            break
        if was_paused:
            was_paused = False
            send(LogMessage("info", "resumed"))
        send(StepEnded(0, step, step, 1000, 1.0, 0.1, 10.0, 60.0))
        step += 1
        time.sleep(0.02)
    send(RunFinished("stopped", "Stopped by you.", "/run", 0, None, None, None))


def stubborn() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
         "signal.SIG_IGN); time.sleep(600)"],
        start_new_session=True,
    )  # fmt: skip
    send(LogMessage("info", f"pids {os.getpid()} {grandchild.pid}"))
    time.sleep(600)


def flood(control_file: str) -> None:
    for i in range(40):
        send(LogMessage("info", f"{i} " + "x" * 50_000))
    Path(control_file + ".done").write_text("all sent")
    send(RunFinished("completed", "Completed.", "/run", 1, 1.0, 0, None))


def noise() -> None:
    print("a library printed this", flush=True)
    send(LogMessage("info", "hello"))
    print("Traceback (most recent call last):\nValueError: bad thing", file=sys.stderr)
    sys.exit(3)


if __name__ == "__main__":
    mode, control_file = sys.argv[1], sys.argv[2]
    modes = {
        "obey": obey,
        "flood": flood,
        "stubborn": lambda _f: stubborn(),
        "noise": lambda _f: noise(),
    }
    modes[mode](control_file)
