"""The window's side of the classification process (core.infer.classify_worker): start it,
send it a folder to classify, read its events as they come, stop it, end it.

`ClassifyProcess().classify(request, control)` yields the same events as
core.infer.classify_run (ModelLoaded, ImagesListed, ResultsBatch) and returns the run's
closing sentence; a failure in the process raises LoupeError with its sentence, and a process
that dies mid-run raises one saying so. The process is kept between runs (its model stays
loaded) until `end()`. A stop is sent as a message; if the process does not obey within
STOP_GRACE_S it is ended. Plain Python: no torch, no Qt, in the window's process."""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from core.control import RunControl
from core.errors import LoupeError
from core.infer.classify_run import ClassifyRequest, ImagesListed, ResultsBatch
from core.infer.classify_wire import (
    STOP_LINE,
    RunEnded,
    RunFailed,
    WireError,
    decode_event,
    encode_request,
)
from core.infer.classify_worker import WORKER_COMMAND
from core.train.launch import main_program

STOP_GRACE_S = 10.0  # the run stops before its next file: seconds only on a huge GPU batch
END_GRACE_S = 3.0  # after stdin closes, before SIGTERM (and as long again before SIGKILL)
POLL_S = 0.05  # how often a waiting run looks at its control
STDERR_LINES = 40
WINDOWS = sys.platform == "win32"
_END = object()  # the process's stdout closed


def worker_command(frozen: bool | None = None, executable: str | None = None) -> list[str]:
    """How to start the classification process: `main.py classify-worker`, or in a
    PyInstaller bundle its own executable (on Windows the console one, loupe-cli.exe, when
    present: a windowed .exe's standard streams are not reliable)."""
    return [*main_program(frozen, executable, console=True), WORKER_COMMAND]


class ClassifyProcess:
    """One classification process, started on first use and kept until `end()`. Use it
    from one thread at a time (the classification job's); `end()` may come from any."""

    def __init__(self, command: Sequence[str] | None = None) -> None:
        self._command = list(command) if command else None
        self._popen: subprocess.Popen | None = None
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._ending = False  # end() was called: a closed stdout is no crash

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> None:
        """Start the process unless it runs (it imports torch at once, in the background)."""
        with self._lock:
            if self.running():
                return
            if self._popen is not None:  # it died by itself: collect it
                _escalate(self._popen, self._threads, 0)
            options: dict[str, Any] = {}
            if WINDOWS:
                # CREATE_NO_WINDOW (0x08000000); below normal: the window comes first (worker NICENESS)
                flags = subprocess.CREATE_NEW_PROCESS_GROUP | 0x08000000
                flags |= subprocess.BELOW_NORMAL_PRIORITY_CLASS
                options["creationflags"] = flags
            else:
                options["start_new_session"] = True  # a terminal's Ctrl-C goes to the window
            self._ending = False
            self._events = queue.SimpleQueue()
            self._stderr.clear()
            self._popen = subprocess.Popen(
                self._command or worker_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                **options,
            )
            self._threads = [
                threading.Thread(
                    target=self._read_events,
                    args=(self._popen.stdout, self._events),
                    name="loupe-classify-events",
                    daemon=True,
                ),
                threading.Thread(
                    target=self._read_stderr,
                    args=(self._popen.stderr,),
                    name="loupe-classify-stderr",
                    daemon=True,
                ),
            ]
            for thread in self._threads:
                thread.start()

    def _read_events(self, stream, events: queue.SimpleQueue) -> None:
        try:
            for line in stream:
                if line.strip():
                    try:
                        events.put(decode_event(line))
                    except WireError as exc:
                        self._stderr.append(str(exc))
        finally:
            events.put(_END)

    def _read_stderr(self, stream) -> None:
        for line in stream:
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                self._stderr.append(text)

    def _send(self, data: bytes) -> None:
        popen = self._popen
        if popen is None or popen.stdin is None:
            raise BrokenPipeError("the classification process was ended")
        popen.stdin.write(data)
        popen.stdin.flush()

    # -- one run ---------------------------------------------------------------------------
    def classify(self, request: ClassifyRequest, control: RunControl) -> Iterator[object]:
        """Classify in the process; yields its events, returns its closing sentence."""
        ended = False
        try:
            sentence = yield from self._run(request, control)
            ended = True
            return sentence
        except LoupeError:
            ended = True  # the run failed and said why: the process itself is fine
            raise
        finally:
            if not ended:  # abandoned mid-run: its late events must not reach the next run
                self.end(wait=False)

    def _run(self, request: ClassifyRequest, control: RunControl) -> Iterator[object]:
        self.start()
        events = self._events
        try:
            self._send(encode_request(request))
        except (OSError, ValueError):  # it died while idle (killed, out of memory): anew
            self.end()
            self.start()
            events = self._events
            self._send(encode_request(request))
        total = classified = unreadable = 0
        stop_sent: float | None = None
        while True:
            if control.stop_requested and stop_sent is None:
                with contextlib.suppress(OSError):
                    self._send(STOP_LINE)
                stop_sent = time.monotonic()
            try:
                event = events.get(timeout=POLL_S)
            except queue.Empty:
                if stop_sent is not None and time.monotonic() - stop_sent > STOP_GRACE_S:
                    self.end(0)  # it did not obey: the next run starts a fresh one
                    return _stopped(classified, total, unreadable)
                continue
            if event is _END:
                if control.stop_requested or self._ending:
                    return _stopped(classified, total, unreadable)
                raise LoupeError(self._crash_sentence(classified, total))
            if isinstance(event, RunEnded):
                return event.message
            if isinstance(event, RunFailed):
                raise LoupeError(event.message)
            if isinstance(event, ImagesListed):
                total = event.count
            elif isinstance(event, ResultsBatch):
                classified += len(event.results)
                unreadable += len(event.unreadable)
            yield event

    def _crash_sentence(self, classified: int, total: int) -> str:
        popen = self._popen
        code = popen.wait(timeout=10) if popen is not None else None
        killed = code is not None and code < 0
        how = f"was killed by signal {-code}" if killed else f"ended (exit code {code})"
        said = [line for line in self._stderr if line.strip()]
        why = f": {said[-1]}" if said else ""
        done = f" after {classified:,} of {total:,} images" if total else ""
        return f"The classification process {how} unexpectedly{done}{why}"

    # -- the end ---------------------------------------------------------------------------
    def end(self, grace_s: float = END_GRACE_S, wait: bool = True) -> None:
        """Make sure the process no longer runs: close its stdin (it stops and exits), then
        SIGTERM after `grace_s`, then SIGKILL. `wait=False`: a thread does it, and this
        returns at once (the GUI thread's case). The next run starts a new process."""
        with self._lock:
            self._ending = True
            popen, threads = self._popen, self._threads
            self._popen, self._threads = None, []
        if popen is None:
            return
        with contextlib.suppress(OSError, ValueError):
            popen.stdin.close()
        if wait:
            _escalate(popen, threads, grace_s)
        else:
            threading.Thread(target=_escalate, args=(popen, threads, grace_s), daemon=True).start()


def _escalate(popen: subprocess.Popen, threads: list[threading.Thread], grace_s: float) -> None:
    """Wait for `popen` to exit, SIGTERM then SIGKILL it when it does not; join its readers."""
    for sig in (signal.SIGTERM, getattr(signal, "SIGKILL", signal.SIGTERM)):
        try:
            popen.wait(timeout=grace_s)
            break
        except subprocess.TimeoutExpired:
            _signal(popen, sig)
    popen.wait()
    for thread in threads:
        thread.join(timeout=5)
    for stream in (popen.stdin, popen.stdout, popen.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.close()


def _signal(popen: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(OSError):
        if WINDOWS:
            popen.kill()
        else:
            os.killpg(popen.pid, sig)


def _stopped(classified: int, total: int, unreadable: int) -> str:
    bad = f"; {unreadable:,} unreadable" if unreadable else ""
    return f"Stopped: {classified:,} of {total:,} images classified{bad}."
