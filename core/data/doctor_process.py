"""The window's dataset check in a process of its own (`main.py doctor-worker`, hidden: the
worker is core.data.doctor_worker).

The doctor decodes every image, runs a network and fits scikit-learn models. In a thread of
the window's process that held Python's GIL for up to ~230 ms at a time (scipy's LAPACK calls
in the PCA, loading the network, importing scikit-learn and cleanlab), and the window froze
for as long (benchmarks/README.md, session 8). `check_in_process(config, control)` yields the
same events as core.data.doctor.check_dataset (DoctorProgress ..., then one DoctorFinished
with the report) from a child process; only plain data crosses, as JSON lines on its stdout.

Stop: the window closes the child's stdin (the check writes nothing, so nothing is left to
finish) and the child ends at once; SIGTERM after END_GRACE_S, then SIGKILL. The child also
ends when the window's process dies (its stdin closes with it). A child that dies says so in
one sentence. Plain Python: no torch, no Qt."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.control import RunControl
from core.data.doctor import DoctorConfig, DoctorFinished, DoctorProgress
from core.errors import LoupeError
from core.train.launch import main_program
from core.worker_wire import json_line, parse_json_line

WORKER_COMMAND = "doctor-worker"  # main.py's hidden entry
END_GRACE_S = 3.0  # after stdin closes, before SIGTERM (and as long again before SIGKILL)
POLL_S = 0.05  # how often a waiting check looks at its control
STDERR_LINES = 40
WINDOWS = sys.platform == "win32"
_END = object()  # the child's stdout closed


class DoctorWireError(LoupeError):
    """A line from the dataset check's process that is not one of its messages."""


@dataclass(frozen=True)
class WorkerError:
    """The check raised in the child (a bug, a file error): the sentence the window's job
    worker would have made of the exception (gui.jobs), so the dialog says the same."""

    message: str


def worker_command(frozen: bool | None = None, executable: str | None = None) -> list[str]:
    """`python main.py doctor-worker`, or in a bundle its own executable (the console one on
    Windows: the check talks over stdin and stdout)."""
    return [*main_program(frozen, executable, console=True), WORKER_COMMAND]


# -- the messages -------------------------------------------------------------------------


def _parse(line: bytes | str) -> dict[str, Any]:
    return parse_json_line(line, DoctorWireError, "the dataset check")


def encode_config(config: DoctorConfig) -> bytes:
    return json_line(dataclasses.asdict(config))


def decode_config(line: bytes) -> DoctorConfig:
    data = _parse(line)
    names = {f.name for f in dataclasses.fields(DoctorConfig)}
    return DoctorConfig(**{k: v for k, v in data.items() if k in names})


def encode_event(event: object) -> bytes:
    """One line for a DoctorProgress, a DoctorFinished (its report is plain JSON data: the
    doctor.json contents) or a WorkerError."""
    if isinstance(event, DoctorProgress):
        return json_line({"type": "progress", **dataclasses.asdict(event)})
    if isinstance(event, DoctorFinished):
        return json_line({"type": "finished", **dataclasses.asdict(event)})
    if isinstance(event, WorkerError):
        return json_line({"type": "error", "message": event.message})
    raise TypeError(f"{type(event).__name__} is not a dataset check event")


def decode_event(line: bytes | str) -> DoctorProgress | DoctorFinished | WorkerError:
    data = _parse(line)
    kind = data.pop("type", None)
    try:
        if kind == "progress":
            return DoctorProgress(str(data["stage"]), int(data["done"]), int(data["total"]))
        if kind == "finished":
            return DoctorFinished(data["status"], str(data["reason"]), data.get("report"))
        if kind == "error":
            return WorkerError(str(data["message"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise DoctorWireError(
            f"A '{kind}' message of the dataset check is malformed ({exc})."
        ) from None
    raise DoctorWireError(f"Unknown message '{kind}' from the dataset check.")


# -- the window's side ----------------------------------------------------------------------


class _Child:
    """One check's process, its stdout read into a queue and its stderr's last lines kept."""

    def __init__(self, command: Sequence[str]) -> None:
        options: dict[str, Any] = {}
        if WINDOWS:  # CREATE_NO_WINDOW (0x08000000); below normal: the window comes first
            flags = subprocess.CREATE_NEW_PROCESS_GROUP | 0x08000000
            options["creationflags"] = flags | subprocess.BELOW_NORMAL_PRIORITY_CLASS
        else:
            options["start_new_session"] = True  # a terminal's Ctrl-C goes to the window
        self.popen = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **options,
        )
        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self.threads = [
            threading.Thread(target=self._read_events, name="loupe-doctor-events", daemon=True),
            threading.Thread(target=self._read_stderr, name="loupe-doctor-stderr", daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _read_events(self) -> None:
        try:
            for line in self.popen.stdout:
                if line.strip():
                    try:
                        self.events.put(decode_event(line))
                    except DoctorWireError as exc:
                        self.stderr.append(str(exc))
        finally:
            self.events.put(_END)

    def _read_stderr(self) -> None:
        for line in self.popen.stderr:
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                self.stderr.append(text)

    def send(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ValueError):  # it died at once: its end says why
            self.popen.stdin.write(data)
            self.popen.stdin.flush()

    def crash_sentence(self) -> str:
        code = self.popen.wait(timeout=10)
        self.threads[1].join(timeout=5)  # its last words, before they are read
        how = f"was killed by signal {-code}" if code < 0 else f"ended (exit code {code})"
        said = [line for line in self.stderr if line.strip()]
        why = f": {said[-1]}" if said else ""
        return f"The dataset check's process {how} unexpectedly{why}"

    def end(self) -> None:
        """Close its stdin (it ends at once), then SIGTERM, then SIGKILL its group, END_GRACE_S
        apart; wait for it and its readers."""
        grace_s = END_GRACE_S
        with contextlib.suppress(OSError, ValueError):
            self.popen.stdin.close()
        for sig in (signal.SIGTERM, getattr(signal, "SIGKILL", signal.SIGTERM)):
            try:
                self.popen.wait(timeout=grace_s)
                break
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    if WINDOWS:
                        self.popen.kill()
                    else:
                        os.killpg(self.popen.pid, sig)
        self.popen.wait()
        for thread in self.threads:
            thread.join(timeout=5)
        for stream in (self.popen.stdout, self.popen.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.close()


def check_in_process(
    config: DoctorConfig,
    control: RunControl | None = None,
    command: Sequence[str] | None = None,
    started: list[int] | None = None,
) -> Iterator[DoctorProgress | DoctorFinished]:
    """core.data.doctor.check_dataset, run in a child process: the same events. A stop ends
    the child and the generator (nothing is yielded after it); so does closing the
    generator. A child that fails or dies raises LoupeError with one sentence. `started`
    gets the child's process id (tests)."""
    control = control or RunControl()
    child = _Child(command or worker_command())
    if started is not None:
        started.append(child.pid)
    try:
        child.send(encode_config(config))
        while not control.stop_requested:
            try:
                event = child.events.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if event is _END:
                raise LoupeError(child.crash_sentence())
            if isinstance(event, WorkerError):
                raise LoupeError(event.message)
            yield event
            if isinstance(event, DoctorFinished):
                return
    finally:
        child.end()
