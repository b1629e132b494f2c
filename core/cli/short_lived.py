"""A command-line process runs one command and ends. Two shortcuts follow from that, which a
long-lived process (the window, a test calling `run_cli` in its own process) must not take;
main.py takes them only when it runs a command as the program itself.

- While `train` imports torch and prepares its run, the cyclic garbage collector is paused:
  those imports create some 300,000
  long-lived objects and each automatic full collection scanned them all again (about a fifth
  of the import time on 2 cores). When training starts they are frozen (`gc.freeze`: never
  scanned again, like the objects a forking server shares) and collection resumes for what
  training creates.
- Once the command has returned, the process ends with `os._exit` after the atexit handlers
  ran and stdout and stderr were flushed (every file Loupe writes is closed by then): the
  interpreter's teardown, freeing every module, sympy's caches and torch's libraries one
  object at a time, took 1-2.5 s of CPU after each run and showed nothing to anybody.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

_collection_paused = False


def pause_collection() -> None:
    """Pause the cyclic garbage collector until `training_started` (this process only)."""
    global _collection_paused
    if gc.isenabled():
        gc.disable()
        _collection_paused = True


def training_started() -> None:
    """The imports and the run's preparation are done: freeze what they created and let the
    collector run again. Does nothing unless `pause_collection` paused it."""
    global _collection_paused
    if _collection_paused:
        _collection_paused = False
        gc.freeze()
        gc.enable()


def _other_threads_running() -> bool:
    """A non-daemon thread still running: Python's own exit would wait for it."""
    main = threading.main_thread()
    return any(t is not main and t.is_alive() and not t.daemon for t in threading.enumerate())


def end_process(code: int) -> NoReturn:
    """Exit with `code` without the interpreter's teardown: the atexit handlers run (logging,
    multiprocessing's children, torch's), the standard streams are flushed, then os._exit.
    Falls back to a normal exit where that shortcut would lose something."""
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's, since 2.x
    if run_exit_handlers is None or _other_threads_running():
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more can be said
            pass
    os._exit(code)


def run_command(main: Callable[[list[str]], int], argv: list[str]) -> NoReturn:
    """main.py's way to run a command-line command as the whole process."""
    if argv[:1] in (["train"], ["train-standby"]):
        pause_collection()
    end_process(main(argv))
