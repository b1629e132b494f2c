"""The `train` flags a window uses to follow a run in another process (every run started
from the window): `--events json` prints every training event as one JSON line on stdout (only
rank 0 under torch.distributed.run; everything meant for people goes to stderr then), or into
`--events-file PATH`; `--log-file PATH` takes what is meant for people (progress, warnings,
the error that ended the run, a crash's traceback); `--control-file PATH` lets the window
pause, resume and stop the run (core.control_file). A terminate signal then ends the run as
Ctrl+C does: run.json says so, the lock is freed.

Why files and not the pipes a parent usually reads: the window's child is the bundle's own
executable, and a windowed (no console) PyInstaller build on Windows leaves sys.stdout and
sys.stderr as None, as pythonw.exe does (PyInstaller >= 5.7), so whatever a pipe would carry
is lost and a print() fails. A file the parent names on the command line works the same in
a console build, a windowed one, an .app bundle and from source."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import TextIO

from core.control import RunControl
from core.control_file import FileControl
from core.errors import LoupeError
from core.event_stream import EventEncoder, encode
from core.files.file_transfer import describe_os_error
from core.train.shards import process_rank

EVENT_FORMATS = ("json",)


def add_event_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("following a run from another program")
    group.add_argument(
        "--events",
        choices=EVENT_FORMATS,
        default=None,
        help="print every training event as one JSON line on stdout (rank 0 only under "
        "torchrun); progress and messages go to stderr. How the window follows a run it "
        "started in other processes.",
    )
    group.add_argument(
        "--control-file",
        default=None,
        metavar="PATH",
        help="pause, resume or stop the run when PATH says 'pause', 'resume' or 'stop' "
        "(read by rank 0 between steps)",
    )
    group.add_argument(
        "--events-file",
        default=None,
        metavar="PATH",
        help="with --events json: append the events to PATH instead of printing them",
    )
    group.add_argument(
        "--log-file",
        default=None,
        metavar="PATH",
        help="append progress, messages and errors to PATH instead of the terminal",
    )


def is_rank_zero() -> bool:
    """True in a single process and in rank 0 of a torch.distributed.run launch."""
    return process_rank() == 0


def run_control(args: argparse.Namespace) -> RunControl:
    """The run's control: steered by --control-file in rank 0 (the other ranks follow rank 0's
    decisions through the distributed loop)."""
    if getattr(args, "control_file", None) and is_rank_zero():
        return FileControl(args.control_file)
    return RunControl()


@contextlib.contextmanager
def event_output(args: argparse.Namespace) -> Iterator[Callable[[object], None]]:
    """Yields `send(event)`. With --events json, stdout carries the events and nothing else:
    print() calls meant for people (the engine's, a library's) go to stderr meanwhile."""
    path = getattr(args, "events_file", None)
    if getattr(args, "events", None) != "json":
        if path:
            raise LoupeError("--events-file needs --events json (it is where the events go).")
        yield lambda _event: None
        return
    with contextlib.ExitStack() as stack:
        if not is_rank_zero():
            send = _discard
        elif path:  # read from its start by one reader: each thumbnail is sent once
            events_file = stack.enter_context(open(path, "a", encoding="utf-8"))
            send = _writer(events_file, EventEncoder().encode)
        else:  # every line readable alone, for any program
            send = _writer(sys.stdout, encode)
        stack.enter_context(contextlib.redirect_stdout(sys.stderr))
        stack.enter_context(_sigterm_as_interrupt())
        yield send


def open_log_file(args: argparse.Namespace) -> TextIO | None:
    """The file of `--log-file`, opened for appending (None without it). Raises LoupeError,
    one sentence, when it cannot be (a folder, a missing folder), before anything is done."""
    path = getattr(args, "log_file", None)
    if not path:
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise LoupeError(f"--log-file {path} is a folder: give a file name.")
    if not os.path.isdir(folder):
        raise LoupeError(f"--log-file {path}: the folder {folder} does not exist.")
    try:
        return open(path, "a", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    except OSError as exc:
        raise LoupeError(f"Cannot write --log-file {path} ({describe_os_error(exc)}).") from exc


@contextlib.contextmanager
def log_file_output(log: TextIO | None) -> Iterator[None]:
    """With a log file (open_log_file): sys.stdout and sys.stderr write to it (line by line,
    so the window sees a failure's reason as it is written), and an exception nobody caught
    is written there with its traceback and ends the process with exit code 1, rather than
    going to a stderr that may not exist (a windowed bundle) or to a crash dialog. The file
    is closed at the end."""
    if log is None:
        yield
        return
    with log:
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = log
        try:
            yield
        except Exception as exc:
            traceback.print_exc(file=log)
            print(f"loupe: error: Training crashed: {type(exc).__name__}: {exc}", file=log)
            raise SystemExit(1) from None
        finally:
            sys.stdout, sys.stderr = saved


def _writer(stream: TextIO, to_line: Callable[[object], str]) -> Callable[[object], None]:
    def write(event: object) -> None:
        stream.write(to_line(event) + "\n")
        stream.flush()  # the window shows each event as it happens, not when a buffer fills

    return write


def _discard(_event: object) -> None:
    pass


def human_stream(args: argparse.Namespace) -> TextIO:
    """Where the final sentence of a run goes: stderr when stdout carries events."""
    return sys.stderr if getattr(args, "events", None) == "json" else sys.stdout


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """The window (or torchrun, passing it on) ends a run that did not stop in time with
    SIGTERM: treat it as Ctrl+C, so the run is recorded as interrupted and its lock freed."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (tests calling the CLI in-process)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
