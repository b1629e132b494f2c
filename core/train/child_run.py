"""Training in other processes, seen as the same events as `core.train.loop.fit`: what the
window runs for "All N GPUs". `distributed_fit(config, control)` starts
`torch.distributed.run ... main.py train ... --events json --control-file F`
(core.train.launch), reads rank 0's events from its stdout (core.event_stream, on a thread
of its own so the child never waits for a paused window) and yields them as they come, so
gui.train.train_job and the dashboard need no change.

The window's pause, resume and stop reach the processes through the control file (a relay
thread watches `control`: the job's own thread is held inside the control while paused). A
stop that is not obeyed within STOP_GRACE_S ends the processes: SIGTERM (torchrun passes
it on), then SIGKILL after TERMINATE_GRACE_S. The generator's end, closed early or not,
always leaves no process behind. A child that ends without a RunFinished yields a
"failed" one whose reason is taken from its stderr. Qt-free; no torch in this process."""

from __future__ import annotations

import collections
import dataclasses
import os
import queue
import re
import shlex
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from core.control import RunControl
from core.control_file import write_control
from core.event_stream import EventStreamError, decode
from core.events import LogMessage, RunFinished, RunStarted, TrainEvent
from core.train.child_process import ChildProcess
from core.train.config import TrainConfig
from core.train.launch import WORKER_DEVICE, child_command

STOP_GRACE_S = 15.0  # a step, or saving the model after a stop, may take a few seconds
TERMINATE_GRACE_S = 10.0  # torchrun itself gives its workers 30 s: we do not wait that long
FINISHED_GRACE_S = 60.0  # after the last event: the other ranks' exit, torchrun's summary
STDERR_TAIL_LINES = 60


@dataclass(frozen=True)
class Timeouts:
    stop_grace_s: float = STOP_GRACE_S
    terminate_grace_s: float = TERMINATE_GRACE_S
    finished_grace_s: float = FINISHED_GRACE_S


class StderrTail:
    """Reads the child's stderr on its own thread (a full pipe would block the child) and
    keeps its last lines for a failure's reason."""

    def __init__(self, stream) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            # A terminal's progress bar redraws with \r: keep its last state only.
            text = line.rstrip("\n").rsplit("\r", 1)[-1].replace("\x1b[2K", "").rstrip()
            if text:
                self.lines.append(text)

    def join(self, timeout_s: float = 5.0) -> None:
        self._thread.join(timeout_s)

    def reason(self, exit_code: int | None) -> str:
        """One sentence for a run that ended without its own RunFinished."""
        lines = list(self.lines)
        said = [line.split("error:", 1)[1].strip() for line in lines if "loupe: error:" in line]
        if said:
            return said[-1]
        raised = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b.*:", line)]
        last = (raised or lines or ["no message"])[-1]
        return f"The training process ended (exit code {exit_code}) without a result: {last}"

    def text(self) -> str:
        return "\n".join(self.lines)


class EventReader:
    """Reads and decodes the child's stdout on its own thread, as fast as it comes: the job's
    thread stops reading while the window is paused, and a child blocked on a full pipe
    (an epoch's thumbnails are more than a pipe holds) could not reach the step where it
    pauses, leaving the other processes of its run waiting in a collective until it fails."""

    def __init__(self, stream, on_finished: Callable[[], None]) -> None:
        self.events: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._on_finished = on_finished
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        try:
            for line in stream:
                if not line.strip():
                    continue
                try:
                    event: object = decode(line)
                except EventStreamError:
                    # Printed to the real stdout below Python (a C library): show it.
                    event = LogMessage("info", line.rstrip())
                if isinstance(event, RunFinished):
                    self._on_finished()
                self.events.put(event)
        finally:
            self.events.put(_END)

    def __iter__(self) -> Iterator[object]:
        while (event := self.events.get()) is not _END:
            yield event

    def join(self, timeout_s: float = 5.0) -> None:
        self._thread.join(timeout_s)


_END = object()  # the reader's last item: the child's stdout has closed


class ControlRelay:
    """A thread that passes `control`'s pause, resume and stop to the control file, and ends
    the child when a stop is not obeyed in time or the child lingers after its last event."""

    def __init__(
        self, control: RunControl, path: str, child: ChildProcess, timeouts: Timeouts
    ) -> None:
        self.control, self.path, self.child, self.timeouts = control, path, child, timeouts
        self._closed = threading.Event()
        self._finished_at: float | None = None
        self._thread = threading.Thread(target=self._run, name="loupe-control-relay", daemon=True)
        self._thread.start()

    def finished_seen(self) -> None:
        self._finished_at = time.monotonic()

    def close(self) -> None:
        self._closed.set()
        self._thread.join()

    def _run(self) -> None:
        paused = False
        stop_deadline: float | None = None
        next_look = 0.0
        while not self._closed.wait(0.05) and self.child.running():
            now = time.monotonic()
            if now >= next_look:  # remember the workers while the launcher can name them
                self.child.tree()
                next_look = now + 1.0
            if self.control.stop_requested and stop_deadline is None:
                write_control(self.path, "stop")
                stop_deadline = now + self.timeouts.stop_grace_s
            elif stop_deadline is None and self.control.paused != paused:
                paused = self.control.paused
                write_control(self.path, "pause" if paused else "resume")
            if self._finished_at is not None and stop_deadline is None:
                stop_deadline = self._finished_at + self.timeouts.finished_grace_s
            if stop_deadline is not None and now >= stop_deadline:
                self.child.end(self.timeouts.terminate_grace_s)
                return


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # stderr lines arrive as written
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def run_child(
    command: Sequence[str],
    control: RunControl,
    config: TrainConfig,
    control_file: str,
    timeouts: Timeouts = Timeouts(),
) -> Iterator[TrainEvent]:
    """Run `command` (a `train ... --events json --control-file control_file` command) and
    yield its events; ends with exactly one RunFinished."""
    child = ChildProcess(command, env=_child_environment())
    tail = StderrTail(child.popen.stderr)
    relay = ControlRelay(control, control_file, child, timeouts)
    reader = EventReader(child.popen.stdout, relay.finished_seen)
    finished: RunFinished | None = None
    try:
        for event in reader:
            if isinstance(event, RunFinished):
                finished = event
            yield event
        exit_code = child.popen.wait()
    finally:
        relay.close()
        child.end(timeouts.terminate_grace_s)  # nothing is left running, whatever happened
        reader.join()
        tail.join()
    if finished is not None:
        return
    if control.stop_requested:
        how = " (the training processes did not stop in time and were ended)"
        reason = f"Stopped before the run could report its end{how}."
        yield RunFinished("stopped", reason, os.path.abspath(config.out_dir), 0, None, None, None)
        return
    if tail.lines:
        yield LogMessage("error", tail.text())
    reason = tail.reason(exit_code)
    yield RunFinished("failed", reason, os.path.abspath(config.out_dir), 0, None, None, None)


def distributed_fit(
    config: TrainConfig,
    control: RunControl,
    processes: int | None = None,
    worker_device: str = WORKER_DEVICE,
) -> Iterator[TrainEvent]:
    """`fit` for "All N GPUs": train `config` in `processes` processes (default: one per
    usable GPU) under torch.distributed.run. `worker_device` is each process's device:
    "cuda" (its own GPU) for real; the GUI test passes "cpu" to run 2 gloo processes on a
    machine without GPUs."""
    if processes is None:
        from core.device import usable_gpu_count  # imports torch: on the job's thread

        processes = usable_gpu_count()
        if processes < 2:  # restored from last session and used before the device list came
            reason = (
                f"'All GPUs' needs at least two CUDA GPUs this PyTorch can use; this computer "
                f"has {processes}. Choose another Device."
            )
            yield LogMessage("error", reason)
            yield RunFinished(
                "failed", reason, os.path.abspath(config.out_dir), 0, None, None, None
            )
            return
    with tempfile.TemporaryDirectory(prefix="loupe-control-") as folder:
        control_file = os.path.join(folder, "control")
        command = child_command(config, processes, control_file, worker_device)
        where = f"{processes} processes" if processes > 1 else "a separate process"
        yield LogMessage("info", f"Training in {where}: {shlex.join(command)}")
        for event in run_child(command, control, config, control_file):
            if isinstance(event, RunStarted) and processes > 1:
                # Process 0 names its own device; the run uses one per process.
                event = dataclasses.replace(event, device=f"{processes} × {event.device}")
            yield event
