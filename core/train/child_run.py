"""Training in other processes, seen as the same events as `core.train.loop.fit`: how the
window trains every run, so its own process never runs the training loop (and its GUI thread
never waits for the GIL of a training thread). `child_fit(config, control)` starts
`main.py train ... --events json --events-file E --log-file L --control-file C`
(core.train.launch; under torch.distributed.run for "All N GPUs": `distributed_fit`), reads
rank 0's events from E (core.event_stream, on a thread of its own) and yields them as they
come, so gui.train.train_job and the dashboard see what fit() would have yielded.

The window's pause, resume and stop reach the processes through the control file (a relay
thread watches `control`: the job's own thread is held inside the control while paused). A
stop that is not obeyed within STOP_GRACE_S ends the processes: SIGTERM (torchrun passes
it on), then SIGKILL after TERMINATE_GRACE_S. The generator's end, closed early or not,
always leaves no process behind. A child that ends without a RunFinished yields a
"failed" one whose reason is taken from its log (and output). Qt-free; no torch in this
process."""

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
from typing import BinaryIO

from core.control import RunControl
from core.control_file import write_control
from core.event_stream import EventDecoder, EventStreamError
from core.events import LogMessage, RunFinished, RunStarted, TrainEvent
from core.train.child_process import ChildProcess, child_environment
from core.train.config import TrainConfig
from core.train.launch import ALL_GPUS, WORKER_DEVICE, ChildFiles, child_command
from core.train.standby import Standby

STOP_GRACE_S = 15.0  # a step, or saving the model after a stop, may take a few seconds
TERMINATE_GRACE_S = 10.0  # torchrun itself gives its workers 30 s: we do not wait that long
FINISHED_GRACE_S = 60.0  # after the last event: the other ranks' exit, torchrun's summary
STDERR_TAIL_LINES = 60
POLL_S = 0.05  # how often the events file is looked at: well under a frame of the plots
LAUNCH_TEXT = "Training in "  # the first words of the log line naming the child's command


@dataclass(frozen=True)
class Timeouts:
    stop_grace_s: float = STOP_GRACE_S
    terminate_grace_s: float = TERMINATE_GRACE_S
    finished_grace_s: float = FINISHED_GRACE_S


class MessageTail:
    """The last lines the child wrote for people (its --log-file, and whatever the launcher
    or a C library printed to the output pipe), kept for a failure's reason."""

    def __init__(self) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)

    def add(self, line: str) -> None:
        # A terminal's progress bar redraws with \r: keep its last state only.
        text = line.rstrip("\n").rsplit("\r", 1)[-1].replace("\x1b[2K", "").rstrip()
        if text:
            self.lines.append(text)

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


class OutputReader:
    """Reads the child's output pipe (stdout and stderr together) on its own thread, into
    `tail`: a full pipe would block the child."""

    def __init__(self, stream, tail: MessageTail) -> None:
        self._thread = threading.Thread(target=self._read, args=(stream, tail), daemon=True)
        self._thread.start()

    @staticmethod
    def _read(stream, tail: MessageTail) -> None:
        for line in stream:
            tail.add(line)

    def join(self, timeout_s: float = 5.0) -> None:
        self._thread.join(timeout_s)


class _NewLines:
    """The complete lines appended to a file since the last look (a long line may arrive in
    pieces: the part after the last newline waits for the rest)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: BinaryIO | None = None
        self._rest = b""

    def read(self) -> list[bytes]:
        if self._file is None:
            try:
                self._file = open(self.path, "rb")  # noqa: SIM115 (kept open between looks)
            except FileNotFoundError:
                return []  # the child has not written yet
        chunk = self._file.read()
        if not chunk:
            return []
        *lines, self._rest = (self._rest + chunk).split(b"\n")
        return lines

    def close(self) -> list[bytes]:
        """What is left: a last line without its newline (a child killed mid-write)."""
        if self._file is not None:
            self._file.close()
        return [self._rest] if self._rest.strip() else []


class EventReader:
    """Follows the child's events file and log file on its own thread, until the child has
    ended and both are read to the end; events are decoded here, as they come, not on the
    job's thread (held while the window is paused). Looking every POLL_S costs nothing
    noticeable; a pipe would have been read at once but cannot be trusted in a windowed
    bundle (core.cli.train_events)."""

    def __init__(
        self,
        files: ChildFiles,
        child: ChildProcess,
        tail: MessageTail,
        on_finished: Callable[[], None],
    ) -> None:
        self.events: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._events, self._log = _NewLines(files.events), _NewLines(files.log)
        self._decoder = EventDecoder()  # the file's thumbnails come once, then by number
        self._child, self._tail, self._on_finished = child, tail, on_finished
        self._thread = threading.Thread(target=self._run, name="loupe-event-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                ended = not self._child.running()  # before reading: nothing written is missed
                got = self._take(self._events.read(), self._log.read())
                if ended and not got:
                    break
                if not got:
                    time.sleep(POLL_S)
        finally:
            self._take(self._events.close(), self._log.close())
            self.events.put(_END)

    def _take(self, event_lines: list[bytes], log_lines: list[bytes]) -> bool:
        for line in log_lines:
            self._tail.add(line.decode("utf-8", "replace"))
        for line in event_lines:
            if not line.strip():
                continue
            try:
                event: object = self._decoder.decode(line)
            except EventStreamError as exc:  # a line cut short by a killed child
                event = LogMessage("warning", str(exc))
            if event is None:
                continue  # an array for the events that follow (a thumbnail)
            if isinstance(event, RunFinished):
                self._on_finished()
            self.events.put(event)
        return bool(event_lines or log_lines)

    def __iter__(self) -> Iterator[object]:
        while (event := self.events.get()) is not _END:
            yield event

    def join(self, timeout_s: float = 5.0) -> None:
        self._thread.join(timeout_s)


_END = object()  # the reader's last item: the child has ended and everything is read


class ControlRelay:
    """A thread that passes `control`'s pause, resume and stop to the control file, and ends
    the child when a stop is not obeyed in time or the child lingers after its last event."""

    def __init__(
        self,
        control: RunControl,
        path: str,
        child: ChildProcess,
        timeouts: Timeouts,
        watch_tree: bool = True,
    ) -> None:
        self.control, self.path, self.child, self.timeouts = control, path, child, timeouts
        self.watch_tree = watch_tree
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
            if self.watch_tree and now >= next_look:
                # Remember torchrun's workers (sessions of their own) while it can name them.
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


def run_child(
    command: Sequence[str],
    control: RunControl,
    config: TrainConfig,
    files: ChildFiles,
    timeouts: Timeouts = Timeouts(),
    watch_tree: bool = True,
    standby: Standby | None = None,
) -> Iterator[TrainEvent]:
    """Run `command` (a `train ...` command writing into `files`) and yield its events; ends
    with exactly one RunFinished. `watch_tree`: look at the processes it starts once a
    second (torchrun's workers); one plain process keeps its own in its process group, and
    reading every process of the system would take the GIL from the window for nothing.
    `standby`: a process that has loaded torch already runs the command where it can."""
    env = child_environment()
    child = standby.take(command, env) if standby is not None else None
    if child is None:
        child = ChildProcess(command, env=env, lower_priority=True)
    tail = MessageTail()
    output = OutputReader(child.popen.stdout, tail)
    relay = ControlRelay(control, files.control, child, timeouts, watch_tree)
    reader = EventReader(files, child, tail, relay.finished_seen)
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
        output.join()
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


def is_launch_message(event: object) -> bool:
    """True for the log line child_fit yields before the child says anything itself."""
    return isinstance(event, LogMessage) and event.text.startswith(LAUNCH_TEXT)


def child_fit(
    config: TrainConfig, control: RunControl, standby: Standby | None = None
) -> Iterator[TrainEvent]:
    """`fit` in a child process: the window's way to train. One process on the config's own
    device (the `standby` one where it is ready); one per GPU under torch.distributed.run for
    "All N GPUs"."""
    if config.device == ALL_GPUS:
        return distributed_fit(config, control)
    return distributed_fit(config, control, processes=1, worker_device=None, standby=standby)


def distributed_fit(
    config: TrainConfig,
    control: RunControl,
    processes: int | None = None,
    worker_device: str | None = WORKER_DEVICE,
    standby: Standby | None = None,
) -> Iterator[TrainEvent]:
    """Train `config` in `processes` processes (default: one per usable GPU, "All N GPUs")
    under torch.distributed.run, or in one plain process when `processes` is 1.
    `worker_device` is each process's device (None: the config's own): "cuda" (its own GPU)
    for "All N GPUs"; the GUI test passes "cpu" to run 2 gloo processes on a machine
    without GPUs."""
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
        files = ChildFiles.in_folder(folder)
        command = child_command(config, processes, files, worker_device)
        where = f"{processes} processes" if processes > 1 else "a separate process"
        yield LogMessage("info", f"{LAUNCH_TEXT}{where}: {shlex.join(command)}")
        watch = processes > 1
        for event in run_child(command, control, config, files, watch_tree=watch, standby=standby):
            if isinstance(event, RunStarted) and processes > 1:
                # Process 0 names its own device; the run uses one per process.
                event = dataclasses.replace(event, device=f"{processes} × {event.device}")
            yield event
