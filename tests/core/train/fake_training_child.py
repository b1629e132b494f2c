"""A stand-in for `main.py train --events json --events-file E --log-file L --control-file C`,
for the tests of core.train.child_run that need no torch: `python fake_training_child.py MODE
FOLDER`, its files being core.train.launch.ChildFiles.in_folder(FOLDER).

  obey       report steps, obey the control file like the real trainer (core.control_file),
             log "paused"/"resumed", end with RunFinished("stopped") once told to stop
  stubborn   start a grandchild in a session of its own (as torchrun starts its workers),
             report both pids, then ignore SIGTERM and the control file: only SIGKILL ends it
  noise      print a line to its stdout, send one event, log a traceback, end without
             RunFinished
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
from core.train.launch import ChildFiles  # noqa: E402

FILES: ChildFiles


def send(event: object) -> None:
    with open(FILES.events, "a", encoding="utf-8") as f:
        f.write(encode(event) + "\n")


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
    with open(FILES.log, "a", encoding="utf-8") as log:
        log.write("Traceback (most recent call last):\nValueError: bad thing\n")
    sys.exit(3)


if __name__ == "__main__":
    mode, FILES = sys.argv[1], ChildFiles.in_folder(sys.argv[2])
    control_file = FILES.control
    modes = {
        "obey": obey,
        "flood": flood,
        "stubborn": lambda _f: stubborn(),
        "noise": lambda _f: noise(),
    }
    modes[mode](control_file)
