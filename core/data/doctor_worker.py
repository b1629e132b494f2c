"""The dataset check's process (`main.py doctor-worker`, hidden), started by the window for
each check (core.data.doctor_process): it reads one DoctorConfig as a JSON line on stdin,
runs core.data.doctor.check_dataset and writes its events as JSON lines on stdout.

It ends at once when its stdin closes: the window stopped the check, closed the dialog, quit
or died. A check writes no file, so nothing is left half done. Its stdout carries only
messages: anything else printed (a library's warning, a C library writing to fd 1) goes to
stderr, whose last line the window shows when the process dies."""

from __future__ import annotations

import os
import sys
import threading
import traceback
from typing import BinaryIO

from core.control import RunControl
from core.data.doctor_process import WorkerError, decode_config, encode_event
from core.errors import LoupeError
from core.worker_wire import worker_streams


def _import_engine() -> None:
    """torch and the models' libraries, imported while the folder is scanned and decoded."""
    try:
        import torch  # noqa: F401

        import core.data.doctor_labels  # noqa: F401
        import core.models.efficientnet_lite  # noqa: F401
    except Exception:  # the stage that needs them reports it, with its own sentence
        return


def _end_when_closed(requests: BinaryIO) -> None:
    """Stdin closed (or sent anything more): the window no longer wants this check."""
    try:
        requests.read()
    finally:
        os._exit(0)


def failure_sentence(exc: BaseException) -> str:
    """What gui.jobs would say of `exc` had the check raised it in the window's process."""
    if isinstance(exc, LoupeError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    traceback.print_exc()  # a bug: its traceback goes to stderr
    return f"{type(exc).__name__}: {exc}"


def serve(requests: BinaryIO, replies: BinaryIO) -> int:
    """Run the check asked for on `requests`, writing its events to `replies`."""
    from core.data.doctor import check_dataset

    line = requests.readline()
    if not line.strip():
        return 0  # closed before asking for anything
    threading.Thread(target=_end_when_closed, args=(requests,), daemon=True).start()
    threading.Thread(target=_import_engine, name="loupe-import", daemon=True).start()
    try:
        for event in check_dataset(decode_config(line), RunControl()):
            replies.write(encode_event(event))
            replies.flush()
    except BrokenPipeError:  # the window went away
        return 0
    except Exception as exc:
        replies.write(encode_event(WorkerError(failure_sentence(exc))))
        replies.flush()
    return 0


def run_worker() -> int:
    """`main.py doctor-worker`: never returns; skips the interpreter's teardown."""
    requests, replies = worker_streams()
    try:
        code = serve(requests, replies)
    except BrokenPipeError:
        code = 0
    sys.stderr.flush()
    os._exit(code)
