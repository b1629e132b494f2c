"""Small rules shared by the commands: input folders that must exist, output files that must
be writable before any work starts, and Ctrl+C that stops cleanly the first time."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

from core.errors import LoupeError


def check_folder(path: str, what: str) -> None:
    if not os.path.exists(path):
        raise LoupeError(f"{what} not found: {path}")
    if not os.path.isdir(path):
        raise LoupeError(f"{what} is not a folder: {path}")


def check_output_file(path: str, flag: str) -> None:
    """Refuse an output path that could only fail at the end, after all the work: a folder,
    a missing or read-only folder. Names the user's path, never a temporary file."""
    full = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(full):
        raise LoupeError(
            f"{flag} {path} is a folder: name the file to write, e.g. "
            f"{os.path.join(path, 'results' + ('.json' if flag == '--json' else '.csv'))}."
        )
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        raise LoupeError(f"Cannot write {flag} {path}: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK):
        raise LoupeError(f"Cannot write {flag} {path}: the folder {parent} is not writable.")


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: the same path once links are resolved (also before
    either exists), or one file on disk under two names (a hard link)."""
    real_a, real_b = (os.path.normcase(os.path.realpath(os.path.expanduser(p))) for p in (a, b))
    if real_a == real_b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # either is missing
        return False


@contextlib.contextmanager
def first_ctrl_c(on_first: Callable[[], None]) -> Iterator[None]:
    """The first Ctrl+C calls `on_first` (ask the work to stop at its next safe point); a
    second one raises KeyboardInterrupt at once. Outside the main thread: no change."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        on_first()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
