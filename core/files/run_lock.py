"""One writer per run folder: an exclusive operating-system lock on a file inside it.

The lock is taken before anything else is written into the folder and held until the run
ends. The operating system releases it when the process dies (crash, kill, power loss of a
network client), so a stale lock can never block a folder: there is no lock file to clean up
by hand. POSIX uses `fcntl.flock`, Windows `msvcrt.locking`. The file holds the owner's
process id and host, only to name them in the refusal.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from typing import IO

from core.errors import LoupeError
from core.files.file_transfer import describe_os_error

LOCK_FILE = ".loupe-run.lock"


class RunFolderBusy(LoupeError):
    """Another process is writing this run folder."""


def _try_lock(f: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        f.seek(0)
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(f: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        f.seek(0)
        with contextlib.suppress(OSError):
            msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _owner(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(200).strip()
    except OSError:  # Windows refuses to read a locked byte range
        return ""
    return f" (process {text})" if text else ""


class RunLock:
    """Held while one process writes a run folder. `acquire` creates the folder if needed
    (`created` says so) and raises RunFolderBusy, one sentence, if another process holds it."""

    def __init__(self, folder: str, file: IO[bytes], created: bool) -> None:
        self.folder = folder
        self.created = created
        self._file: IO[bytes] | None = file

    @classmethod
    def acquire(cls, folder: str) -> RunLock:
        folder = os.path.abspath(folder)
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise LoupeError(f"The run folder {folder} is a file: choose a new folder for the run.")
        created = not os.path.exists(folder)
        path = os.path.join(folder, LOCK_FILE)
        try:
            os.makedirs(folder, exist_ok=True)
            f = open(path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
        except OSError as exc:
            if created:
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
            what = "create the run folder" if created else "write into the run folder"
            raise LoupeError(f"Cannot {what} {folder} ({describe_os_error(exc)}).") from exc
        if not _try_lock(f):
            f.close()
            raise RunFolderBusy(
                f"{folder} is in use by another Loupe run{_owner(path)}: wait for it to "
                "finish or stop it, or choose another run folder."
            )
        with contextlib.suppress(OSError):  # only informative
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()} on {socket.gethostname()}".encode())
            f.flush()
        return cls(folder, f, created)

    def release(self, remove_created_folder: bool = False) -> None:
        """Let go of the folder. With `remove_created_folder`, a folder this lock created
        is removed again if it holds nothing else (a run that never started)."""
        f, self._file = self._file, None
        if f is None:
            return
        remove = remove_created_folder and self.created and _only_lock_file(self.folder)
        if remove and sys.platform != "win32":
            self._remove_folder()  # while still locked: nobody can claim it in between
        with contextlib.suppress(OSError):
            _unlock(f)
        f.close()
        if remove and sys.platform == "win32":  # Windows cannot delete an open file
            self._remove_folder()

    def _remove_folder(self) -> None:
        with contextlib.suppress(OSError):
            os.remove(os.path.join(self.folder, LOCK_FILE))
            os.rmdir(self.folder)


def _only_lock_file(folder: str) -> bool:
    try:
        return os.listdir(folder) == [LOCK_FILE]
    except OSError:
        return False


def run_folder_in_use(folder: str) -> bool | None:
    """True while some process (this one included) holds the folder's lock; None for a
    folder without a lock file (written by an older Loupe, or never trained)."""
    path = os.path.join(folder, LOCK_FILE)
    try:
        f = open(path, "rb")  # noqa: SIM115 - never creates the file: this only looks
    except OSError:
        return None
    with f:
        if not _try_lock(f):
            return True
        _unlock(f)
        return False
