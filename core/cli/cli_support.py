"""Small rules shared by the commands: input folders that must exist, and Ctrl+C that stops
cleanly the first time. Output files: core/files/output_files.py."""

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


def check_report_folder(out: str, existing_reports: Callable[[str], list[str]], force: bool) -> str:
    """The absolute --out folder of a report (evaluate, doctor); LoupeError when it is a file,
    or when it holds an earlier report (`existing_reports(folder)`) and --force is not given."""
    folder = os.path.abspath(os.path.expanduser(out))
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise LoupeError(f"--out must be a folder, but {folder} is a file.")
    existing = existing_reports(folder)
    if existing and not force:
        raise LoupeError(
            f"{existing[0]} already exists: choose another --out folder, or pass --force."
        )
    return folder


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
