"""What the window's worker processes (classification, the dataset check) share: one JSON
object per line on their stdin and stdout, stdout kept for those lines alone, and a priority
below the window's. Plain Python: no torch, no Qt."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, BinaryIO

from core.errors import LoupeError
from core.process_priority import lower_autogroup

NICENESS = 10  # added to a worker's nice value (POSIX): a batch job beside an interactive window


def json_line(data: dict[str, Any]) -> bytes:
    """`data` as one line of compact JSON."""
    return json.dumps(data, separators=(",", ":")).encode("utf-8") + b"\n"


def parse_json_line(line: bytes | str, error: type[LoupeError], what: str) -> dict[str, Any]:
    """The object on `line`, or `error` naming `what` (e.g. "the classification process") and
    the line's start when it holds none."""
    try:
        data = json.loads(line)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        shown = (line.decode("utf-8", "replace") if isinstance(line, bytes) else line)[:80]
        raise error(f"Not a message of {what}: {shown.strip()!r}.")
    return data


def worker_streams() -> tuple[BinaryIO, BinaryIO]:
    """(requests, replies) of a worker process: its stdin, and its stdout, which from now on
    carries only the replies (print() and C libraries writing to fd 1 reach stderr). The
    process also gives way to the window: when both want a core, the window's GUI thread gets
    it first (os.nice alone does nothing across sessions: see core.process_priority)."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer if sys.stdin is not None else os.fdopen(0, "rb")
    if hasattr(os, "nice"):
        os.nice(NICENESS)
        lower_autogroup(NICENESS)
    return requests, replies
