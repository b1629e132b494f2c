"""Pause, resume and stop across processes through a small file: the window writes one word
("pause", "resume" or "stop") into it, and a training process it started
(`train --control-file PATH`) applies that word to its RunControl.

The training loop is unchanged: `FileControl` is a RunControl that looks at the file at the
loop's own safe points (`checkpoint()` once per step, `stop_requested` during validation).
Looking is cheap: one stat() per call at most every POLL_INTERVAL_S, the file is read only
when its modification time or size changed. Writes replace the file atomically, so a
reader never sees half a word. Plain Python: no torch."""

from __future__ import annotations

import os
import time

from core.control import RunControl

WORDS = ("pause", "resume", "stop")
POLL_INTERVAL_S = 0.1  # how stale a decision may be; a step is usually longer


def write_control(path: str, word: str) -> None:
    """Tell the process watching `path` to pause, resume or stop."""
    if word not in WORDS:
        raise ValueError(f"a control word is one of {', '.join(WORDS)}, not {word!r}")
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(word + "\n")
    os.replace(temporary, path)


def read_control(path: str) -> str | None:
    """The word in `path`, or None when there is no file or no known word in it."""
    try:
        with open(path, encoding="utf-8") as f:
            word = f.read(64).strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return word if word in WORDS else None


class FileControl(RunControl):
    """A RunControl steered by a control file (see the module's text). While paused,
    checkpoint() keeps looking at the file, so "resume" and "stop" still arrive."""

    def __init__(self, path: str, poll_interval_s: float = POLL_INTERVAL_S) -> None:
        super().__init__()
        self.path = path
        self.poll_interval_s = poll_interval_s
        self._seen: tuple[int, int, int] | None = None
        self._next_poll = 0.0

    def poll(self, force: bool = False) -> None:
        """Apply the file's word if it changed since the last look."""
        now = time.monotonic()
        if not force and now < self._next_poll:
            return
        self._next_poll = now + self.poll_interval_s
        try:
            stat = os.stat(self.path)
        except OSError:
            return  # not written yet: nothing asked
        seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if seen == self._seen:
            return
        self._seen = seen
        word = read_control(self.path)
        if word == "stop":
            self.request_stop()
        elif word == "pause":
            self.pause()
        elif word == "resume":
            self.resume()

    @property
    def stop_requested(self) -> bool:
        self.poll()
        return super().stop_requested

    def checkpoint(self, wait_limit: float | None = None) -> bool:
        """As RunControl.checkpoint; `wait_limit` bounds the hold while paused (the processes
        of a data-parallel run poll a pause together: core.train.distributed)."""
        self.poll()
        if self.paused and not super().stop_requested:
            held_since = time.monotonic()
            while self.paused and not super().stop_requested:
                if wait_limit is not None and time.monotonic() - held_since >= wait_limit:
                    break
                time.sleep(self.poll_interval_s)
                self.poll(force=True)
            self._paused_seconds += time.monotonic() - held_since
        return super().stop_requested
