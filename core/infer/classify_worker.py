"""The classification process the window starts (`main.py classify-worker`, hidden): it reads
requests as JSON lines on stdin, classifies (decoding, inference) and writes the events as
JSON lines on stdout (core.infer.classify_wire). Decoding thousands of images and running a
network hold Python's GIL for most of their time; in the window's process they made its GUI
thread wait for it (96 ms gaps at 1600x1000, 203 ms at 4K, of which 31/66 ms were the GUI's
own work). Here they hold another process's GIL.

It stays alive between runs with its model loaded (the next run of the same model starts at
once), imports torch while it waits for its first request, stops the run in progress on a
"stop" line, and ends when its stdin closes: the window closed, or died, and never leaves it
behind. Its stdout carries only messages: anything else printed (a library's warning, a C
library writing to fd 1) goes to stderr, which the window keeps for a failure's reason."""

from __future__ import annotations

import os
import queue
import sys
import threading
import traceback
from typing import BinaryIO

from core.control import RunControl
from core.errors import LoupeError
from core.infer.classify_run import ClassifyRequest, ModelKeeper, classify_run
from core.infer.classify_wire import RunEnded, RunFailed, decode_request, encode_event
from core.worker_wire import worker_streams

WORKER_COMMAND = "classify-worker"  # main.py's hidden entry


def _import_engine() -> None:
    """torch and the model code, imported while the window's user chooses a folder."""
    try:
        import torch

        import core.infer.inference  # noqa: F401
    except Exception:  # reported by the run that needs it, with its own sentence
        return
    # Leave the window a core: on 2 cores, 2 torch threads made a small model 5-10x slower
    # here than 1 (each batch's threads waited for the core the window and decoding held).
    torch.set_num_threads(max(1, min(torch.get_num_threads(), (os.cpu_count() or 1) - 1)))


class _Inbox:
    """Reads requests on a thread of its own, so a "stop" reaches the run in progress."""

    def __init__(self, stream: BinaryIO) -> None:
        self.runs: queue.SimpleQueue[tuple[ClassifyRequest, RunControl] | None] = (
            queue.SimpleQueue()
        )
        self._current: RunControl | None = None
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: BinaryIO) -> None:
        try:
            for line in stream:
                if not line.strip():
                    continue
                try:
                    request = decode_request(line)
                except LoupeError as exc:
                    print(f"loupe: classify-worker: {exc}", file=sys.stderr)
                    continue
                if isinstance(request, ClassifyRequest):
                    # The control is made here, not when the run starts: a stop sent right
                    # after the request must reach this run, not the previous one.
                    self._current = RunControl()
                    self.runs.put((request, self._current))
                elif request == "stop" and self._current is not None:
                    self._current.request_stop()
        finally:  # stdin closed: the window is gone; stop what runs and end
            if self._current is not None:
                self._current.request_stop()
            self.runs.put(None)


def _failure(exc: BaseException) -> RunFailed:
    if isinstance(exc, LoupeError):
        return RunFailed(str(exc))
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return RunFailed(f"{where}{exc.strerror or exc}", type(exc).__name__)
    traceback.print_exc()  # a bug: its traceback goes to stderr, the window's log keeps it
    return RunFailed(f"{type(exc).__name__}: {exc}", type(exc).__name__)


def serve(requests: BinaryIO, replies: BinaryIO) -> int:
    """Run requests until `requests` closes; returns the exit code."""
    engine = threading.Thread(target=_import_engine, name="loupe-import", daemon=True)
    engine.start()
    inbox = _Inbox(requests)
    keeper = ModelKeeper()

    def send(event: object) -> None:
        replies.write(encode_event(event))
        replies.flush()

    try:
        while (item := inbox.runs.get()) is not None:
            request, control = item
            if control.stop_requested:  # stopped while torch was still importing
                send(RunEnded("Stopped before any image was classified."))
                continue
            engine.join()
            run = classify_run(request, control, keeper)
            try:
                while True:
                    send(next(run))
            except StopIteration as end:
                send(RunEnded(str(end.value)))
            except BrokenPipeError:
                raise
            except Exception as exc:
                send(_failure(exc))
    except BrokenPipeError:  # the window went away mid-run
        return 0
    return 0


def run_worker() -> int:
    """`main.py classify-worker`: serve on stdin/stdout, keeping stdout for messages only.
    Never returns: it ends the process at once when its stdin closes."""
    requests, replies = worker_streams()
    code = serve(requests, replies)
    sys.stderr.flush()
    # Nothing is left to save: skip the interpreter's and torch's teardown (the window, when
    # it closes, waited 2-3 s for it).
    os._exit(code)
